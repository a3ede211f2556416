//! Raw declarations of libxrun's C API, one to one with `include/xrun.h`.
//!
//! Ownership, blocking and threading rules are the header's; read each
//! function's comment there. A test (`tests/header.rs`) checks that every
//! `XRUN_API` function and every constant of the header is declared here
//! with the same value, so the two cannot drift silently.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

pub const XRUN_VERSION_MAJOR: c_int = 0;
pub const XRUN_VERSION_MINOR: c_int = 1;
pub const XRUN_VERSION_PATCH: c_int = 0;
pub const XRUN_VERSION_STRING: &str = "0.1.0";
pub const XRUN_VERSION_NUMBER: c_int =
    XRUN_VERSION_MAJOR * 10000 + XRUN_VERSION_MINOR * 100 + XRUN_VERSION_PATCH;

// xrun_status: C enums are `int` on every ABI xrun supports.
pub type xrun_status = c_int;
pub const XRUN_OK: xrun_status = 0;
pub const XRUN_E_INVALID: xrun_status = 1;
pub const XRUN_E_CONFIG: xrun_status = 2;
pub const XRUN_E_NOT_FOUND: xrun_status = 3;
pub const XRUN_E_STATE: xrun_status = 4;
pub const XRUN_E_STORE: xrun_status = 5;
pub const XRUN_E_IO: xrun_status = 6;
pub const XRUN_E_TRANSPORT: xrun_status = 7;
pub const XRUN_E_AUTH: xrun_status = 8;
pub const XRUN_E_HOSTKEY: xrun_status = 9;
pub const XRUN_E_SCHEDULER: xrun_status = 10;
pub const XRUN_E_TIMEOUT: xrun_status = 11;
pub const XRUN_E_PARSE: xrun_status = 12;
pub const XRUN_E_NOMEM: xrun_status = 13;
pub const XRUN_E_UNSUPPORTED: xrun_status = 14;
pub const XRUN_E_INTERNAL: xrun_status = 15;
pub const XRUN_E_INTERRUPTED: xrun_status = 16;

pub type xrun_state = c_int;
pub const XRUN_STATE_CREATED: xrun_state = 0;
pub const XRUN_STATE_SUBMITTING: xrun_state = 1;
pub const XRUN_STATE_SUBMITTED: xrun_state = 2;
pub const XRUN_STATE_QUEUED: xrun_state = 3;
pub const XRUN_STATE_HELD: xrun_state = 4;
pub const XRUN_STATE_RUNNING: xrun_state = 5;
pub const XRUN_STATE_COMPLETED: xrun_state = 6;
pub const XRUN_STATE_FAILED: xrun_state = 7;
pub const XRUN_STATE_CANCELLED: xrun_state = 8;
pub const XRUN_STATE_TIMEOUT: xrun_state = 9;
pub const XRUN_STATE_OUT_OF_MEMORY: xrun_state = 10;
pub const XRUN_STATE_NODE_FAIL: xrun_state = 11;
pub const XRUN_STATE_PREEMPTED: xrun_state = 12;
pub const XRUN_STATE_LOST: xrun_state = 13;
pub const XRUN_STATE_WAITING: xrun_state = 14;

pub type xrun_log_level = c_int;
pub const XRUN_LOG_ERROR: xrun_log_level = 0;
pub const XRUN_LOG_WARN: xrun_log_level = 1;
pub const XRUN_LOG_INFO: xrun_log_level = 2;
pub const XRUN_LOG_DEBUG: xrun_log_level = 3;

pub type xrun_log_fn =
    Option<unsafe extern "C" fn(level: c_int, message: *const c_char, payload: *mut c_void)>;
pub type xrun_prompt_fn = Option<
    unsafe extern "C" fn(
        kind: *const c_char,
        machine: *const c_char,
        prompt: *const c_char,
        echo: c_int,
        answer: *mut c_char,
        answer_size: usize,
        payload: *mut c_void,
    ) -> c_int,
>;

pub const XRUN_OPTIONS_VERSION: c_uint = 2;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct xrun_options {
    pub version: c_uint,
    pub home: *const c_char,
    pub store_path: *const c_char,
    pub log: xrun_log_fn,
    pub log_level: c_int,
    pub log_payload: *mut c_void,
    pub prompt: xrun_prompt_fn,
    pub prompt_payload: *mut c_void,
    /// Version 2: a SQLite path or a postgresql:// URL (NULL: store_path,
    /// else $XRUN_STORE, else <home>/xrun.db).
    pub store_url: *const c_char,
}

impl Default for xrun_options {
    /// The same values as XRUN_OPTIONS_INIT.
    fn default() -> Self {
        xrun_options {
            version: XRUN_OPTIONS_VERSION,
            home: std::ptr::null(),
            store_path: std::ptr::null(),
            log: None,
            log_level: XRUN_LOG_WARN,
            log_payload: std::ptr::null_mut(),
            prompt: None,
            prompt_payload: std::ptr::null_mut(),
            store_url: std::ptr::null(),
        }
    }
}

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
            // Not Send/Sync/Unpin by itself: the safe crate decides.
            _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
        }
    )*};
}
opaque!(xrun_ctx, xrun_machine, xrun_job, xrun_events, xrun_result, xrun_spec, xrun_retry);

/// A retry callback (xrun_set_retry_callback): 0 retries, nonzero stops.
pub type xrun_retry_fn = Option<
    unsafe extern "C" fn(
        retry: *mut xrun_retry,
        job_id: *const c_char,
        attempt: i64,
        outcome: *const c_char,
        diagnosis: *const c_char,
        spec_json: *const c_char,
        payload: *mut c_void,
    ) -> c_int,
>;

extern "C" {
    pub fn xrun_version() -> *const c_char;
    pub fn xrun_version_number() -> c_int;

    pub fn xrun_status_name(status: c_int) -> *const c_char;
    pub fn xrun_last_error() -> *const c_char;
    pub fn xrun_last_status() -> c_int;
    pub fn xrun_free(ptr: *mut c_void);

    pub fn xrun_state_name(state: c_int) -> *const c_char;
    pub fn xrun_state_is_terminal(state: c_int) -> c_int;

    pub fn xrun_options_init(opts: *mut xrun_options, version: c_uint) -> c_int;
    pub fn xrun_ctx_open(out: *mut *mut xrun_ctx, opts: *const xrun_options) -> c_int;
    pub fn xrun_ctx_open_read_only(out: *mut *mut xrun_ctx, opts: *const xrun_options) -> c_int;
    pub fn xrun_ctx_close(ctx: *mut xrun_ctx);
    pub fn xrun_ctx_home(ctx: *mut xrun_ctx) -> *const c_char;
    pub fn xrun_ctx_store_path(ctx: *mut xrun_ctx) -> *const c_char;
    pub fn xrun_store_info_json(out_json: *mut *mut c_char, ctx: *mut xrun_ctx) -> c_int;

    pub fn xrun_machines_list(out_json: *mut *mut c_char, ctx: *mut xrun_ctx) -> c_int;
    pub fn xrun_machines_default(out_name: *mut *mut c_char, ctx: *mut xrun_ctx) -> c_int;
    pub fn xrun_machine_open(
        out: *mut *mut xrun_machine,
        ctx: *mut xrun_ctx,
        name: *const c_char,
    ) -> c_int;
    pub fn xrun_machine_free(machine: *mut xrun_machine);
    pub fn xrun_machine_name(machine: *mut xrun_machine) -> *const c_char;
    pub fn xrun_machine_json(out_json: *mut *mut c_char, machine: *mut xrun_machine) -> c_int;
    pub fn xrun_machine_check(out_report: *mut *mut c_char, machine: *mut xrun_machine) -> c_int;
    pub fn xrun_machine_stats(out_json: *mut *mut c_char, machine: *mut xrun_machine) -> c_int;

    pub fn xrun_job_submit(
        out: *mut *mut xrun_job,
        ctx: *mut xrun_ctx,
        spec_json: *const c_char,
    ) -> c_int;
    pub fn xrun_job_submit_command(
        out: *mut *mut xrun_job,
        ctx: *mut xrun_ctx,
        machine: *const c_char,
        name: *const c_char,
        command: *const c_char,
    ) -> c_int;
    pub fn xrun_job_submit_v2(
        out: *mut *mut xrun_job,
        ctx: *mut xrun_ctx,
        spec_json: *const c_char,
    ) -> c_int;
    pub fn xrun_job_send(job: *mut xrun_job) -> c_int;
    pub fn xrun_job_open(out: *mut *mut xrun_job, ctx: *mut xrun_ctx, id: *const c_char) -> c_int;
    pub fn xrun_job_free(job: *mut xrun_job);
    pub fn xrun_job_id(job: *mut xrun_job) -> *const c_char;
    pub fn xrun_job_refresh(job: *mut xrun_job) -> c_int;
    pub fn xrun_job_state(job: *mut xrun_job) -> c_int;
    pub fn xrun_job_exit_code(job: *mut xrun_job, out_code: *mut c_int) -> c_int;
    pub fn xrun_job_scheduler_id(job: *mut xrun_job) -> *const c_char;
    pub fn xrun_job_reason(job: *mut xrun_job) -> *const c_char;
    pub fn xrun_job_info_json(out_json: *mut *mut c_char, job: *mut xrun_job) -> c_int;
    pub fn xrun_job_wait(job: *mut xrun_job, timeout_ms: i64) -> c_int;
    pub fn xrun_job_cancel(job: *mut xrun_job) -> c_int;
    pub fn xrun_job_read_file(
        out_data: *mut *mut c_char,
        out_size: *mut usize,
        job: *mut xrun_job,
        name: *const c_char,
        max_bytes: i64,
    ) -> c_int;
    pub fn xrun_job_read_file_at(
        out_data: *mut *mut c_char,
        out_size: *mut usize,
        out_total_size: *mut i64,
        job: *mut xrun_job,
        name: *const c_char,
        offset: i64,
        max_bytes: i64,
    ) -> c_int;
    pub fn xrun_jobs_submit(out_json: *mut *mut c_char, ctx: *mut xrun_ctx, specs_json: *const c_char) -> c_int;
    pub fn xrun_jobs_list(
        out_json: *mut *mut c_char,
        ctx: *mut xrun_ctx,
        machine: *const c_char,
        state: c_int,
        limit: i64,
    ) -> c_int;
    pub fn xrun_poll(ctx: *mut xrun_ctx, out_next_ms: *mut i64) -> c_int;
    pub fn xrun_ctx_interrupt(ctx: *mut xrun_ctx) -> c_int;
    pub fn xrun_set_retry_callback(ctx: *mut xrun_ctx, fn_: xrun_retry_fn, payload: *mut c_void) -> c_int;
    pub fn xrun_retry_set_spec(retry: *mut xrun_retry, spec_json: *const c_char) -> c_int;
    pub fn xrun_job_hold(job: *mut xrun_job) -> c_int;
    pub fn xrun_job_release(job: *mut xrun_job) -> c_int;
    pub fn xrun_prune(out_report: *mut *mut c_char, ctx: *mut xrun_ctx, older_than_ms: i64) -> c_int;
    pub fn xrun_events_wait(out_last_seq: *mut i64, ctx: *mut xrun_ctx, after_seq: i64, timeout_ms: i64) -> c_int;
    pub fn xrun_recover(out_report: *mut *mut c_char, ctx: *mut xrun_ctx) -> c_int;

    pub fn xrun_events_since(
        out: *mut *mut xrun_events,
        ctx: *mut xrun_ctx,
        after_seq: i64,
        max: i64,
    ) -> c_int;
    pub fn xrun_events_free(events: *mut xrun_events);
    pub fn xrun_events_count(events: *mut xrun_events) -> i64;
    pub fn xrun_events_seq(events: *mut xrun_events, i: i64) -> i64;
    pub fn xrun_events_time_ms(events: *mut xrun_events, i: i64) -> i64;
    pub fn xrun_events_job_id(events: *mut xrun_events, i: i64) -> *const c_char;
    pub fn xrun_events_state(events: *mut xrun_events, i: i64) -> c_int;
    pub fn xrun_events_message(events: *mut xrun_events, i: i64) -> *const c_char;
    pub fn xrun_events_kind(events: *mut xrun_events, i: i64) -> *const c_char;
    pub fn xrun_events_json(out_json: *mut *mut c_char, events: *mut xrun_events) -> c_int;

    pub fn xrun_parse_file(
        out: *mut *mut xrun_result,
        path: *const c_char,
        parser: *const c_char,
    ) -> c_int;
    pub fn xrun_parse_buffer(
        out: *mut *mut xrun_result,
        data: *const c_char,
        size: usize,
        parser: *const c_char,
    ) -> c_int;
    pub fn xrun_job_result(out: *mut *mut xrun_result, job: *mut xrun_job) -> c_int;
    pub fn xrun_result_free(result: *mut xrun_result);
    pub fn xrun_result_json(out_json: *mut *mut c_char, result: *mut xrun_result) -> c_int;
    pub fn xrun_result_double(
        result: *mut xrun_result,
        key: *const c_char,
        out_value: *mut f64,
    ) -> c_int;
    pub fn xrun_result_code(result: *mut xrun_result) -> *const c_char;
    pub fn xrun_result_diagnosis(result: *mut xrun_result) -> *const c_char;
    pub fn xrun_result_diagnosis_line(result: *mut xrun_result) -> i64;
    pub fn xrun_result_diagnosis_text(result: *mut xrun_result) -> *const c_char;
    pub fn xrun_result_array(
        result: *mut xrun_result,
        key: *const c_char,
        out: *mut f64,
        capacity: usize,
        out_len: *mut usize,
    ) -> c_int;
    pub fn xrun_result_string_at(result: *mut xrun_result, key: *const c_char, index: usize) -> *const c_char;

    // Job specs built field by field (the header's xrun_spec section).
    pub fn xrun_spec_new(out: *mut *mut xrun_spec) -> c_int;
    pub fn xrun_spec_free(spec: *mut xrun_spec);
    pub fn xrun_spec_set_name(spec: *mut xrun_spec, name: *const c_char) -> c_int;
    pub fn xrun_spec_set_machine(spec: *mut xrun_spec, machine: *const c_char) -> c_int;
    pub fn xrun_spec_set_command(spec: *mut xrun_spec, command: *const c_char) -> c_int;
    pub fn xrun_spec_add_arg(spec: *mut xrun_spec, arg: *const c_char) -> c_int;
    pub fn xrun_spec_set_workdir(spec: *mut xrun_spec, workdir: *const c_char) -> c_int;
    pub fn xrun_spec_set_env(spec: *mut xrun_spec, name: *const c_char, value: *const c_char) -> c_int;
    pub fn xrun_spec_set_resource(spec: *mut xrun_spec, key: *const c_char, value: *const c_char) -> c_int;
    pub fn xrun_spec_set_resource_int(spec: *mut xrun_spec, key: *const c_char, value: i64) -> c_int;
    pub fn xrun_spec_add_upload(spec: *mut xrun_spec, path: *const c_char) -> c_int;
    pub fn xrun_spec_add_retrieve(spec: *mut xrun_spec, name: *const c_char) -> c_int;
    pub fn xrun_spec_set_retrieve_to(spec: *mut xrun_spec, dir: *const c_char) -> c_int;
    pub fn xrun_spec_set_parser(spec: *mut xrun_spec, parser: *const c_char) -> c_int;
    pub fn xrun_spec_set_parse_file(spec: *mut xrun_spec, name: *const c_char) -> c_int;
    pub fn xrun_spec_add_dependency(spec: *mut xrun_spec, job_id: *const c_char) -> c_int;
    pub fn xrun_spec_set_flag(spec: *mut xrun_spec, flag: *const c_char, value: c_int) -> c_int;
    pub fn xrun_spec_set_cleanup(spec: *mut xrun_spec, policy: *const c_char) -> c_int;
    pub fn xrun_spec_set_array(spec: *mut xrun_spec, range: *const c_char) -> c_int;
    pub fn xrun_spec_set_retry(spec: *mut xrun_spec, policy_json: *const c_char) -> c_int;
    pub fn xrun_spec_set_corrections(spec: *mut xrun_spec, mode: *const c_char) -> c_int;
    pub fn xrun_spec_to_json(out_json: *mut *mut c_char, spec: *const xrun_spec) -> c_int;
    pub fn xrun_job_submit_spec(out: *mut *mut xrun_job, ctx: *mut xrun_ctx, spec: *const xrun_spec) -> c_int;
    pub fn xrun_jobs_submit_specs(
        out_json: *mut *mut c_char,
        ctx: *mut xrun_ctx,
        specs: *const *const xrun_spec,
        count: usize,
    ) -> c_int;
}
