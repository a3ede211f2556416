!> xrun for Fortran: submit, poll, cancel and collect jobs; parse QE, VASP
!> and CRYSTAL outputs. A thin layer over include/xrun.h.
!>
!> Conventions (after the Fortran intrinsics):
!>  - Handles are derived types (xrun_ctx, xrun_machine, xrun_job,
!>    xrun_result, xrun_events) holding a C pointer that is null until
!>    opened and reset to null when freed. Free them explicitly
!>    (xrun_job_free, ...): there is no finaliser on purpose, because
!>    intrinsic assignment copies the pointer and a finaliser would free it
!>    twice. Freeing a null handle is a no-op.
!>  - Strings in are character(len=*) (trailing blanks are kept: trim them
!>    yourself if you pass fixed-length variables); strings out are
!>    allocatable character(len=:).
!>  - Fallible routines take optional `stat` (an XRUN_* status, XRUN_OK on
!>    success) and `errmsg` (the library's message). Without `stat`, a
!>    failure stops the program with the message, like an intrinsic.
!>  - Event indices are 1-based here (the C API counts from 0).
module xrun
  use, intrinsic :: iso_c_binding
  implicit none
  private

  ! Version of the header this module was written against.
  integer, parameter, public :: XRUN_VERSION_NUMBER = 100

  ! Status codes (xrun_status).
  integer, parameter, public :: XRUN_OK = 0, XRUN_E_INVALID = 1, XRUN_E_CONFIG = 2, &
       XRUN_E_NOT_FOUND = 3, XRUN_E_STATE = 4, XRUN_E_STORE = 5, XRUN_E_IO = 6, &
       XRUN_E_TRANSPORT = 7, XRUN_E_AUTH = 8, XRUN_E_HOSTKEY = 9, XRUN_E_SCHEDULER = 10, &
       XRUN_E_TIMEOUT = 11, XRUN_E_PARSE = 12, XRUN_E_NOMEM = 13, XRUN_E_UNSUPPORTED = 14, &
       XRUN_E_INTERNAL = 15, XRUN_E_INTERRUPTED = 16

  ! Job states (xrun_state).
  integer, parameter, public :: XRUN_STATE_CREATED = 0, XRUN_STATE_SUBMITTING = 1, &
       XRUN_STATE_SUBMITTED = 2, XRUN_STATE_QUEUED = 3, XRUN_STATE_HELD = 4, &
       XRUN_STATE_RUNNING = 5, XRUN_STATE_COMPLETED = 6, XRUN_STATE_FAILED = 7, &
       XRUN_STATE_CANCELLED = 8, XRUN_STATE_TIMEOUT = 9, XRUN_STATE_OUT_OF_MEMORY = 10, &
       XRUN_STATE_NODE_FAIL = 11, XRUN_STATE_PREEMPTED = 12, XRUN_STATE_LOST = 13, &
       XRUN_STATE_WAITING = 14

  integer, parameter, public :: XRUN_LOG_ERROR = 0, XRUN_LOG_WARN = 1, XRUN_LOG_INFO = 2, &
       XRUN_LOG_DEBUG = 3
  integer(c_int), parameter :: XRUN_OPTIONS_VERSION = 1

  !> xrun_options, field for field (the header's struct).
  type, bind(c) :: xrun_options_c
     integer(c_int) :: version = XRUN_OPTIONS_VERSION
     type(c_ptr) :: home = c_null_ptr
     type(c_ptr) :: store_path = c_null_ptr
     type(c_funptr) :: log = c_null_funptr
     integer(c_int) :: log_level = XRUN_LOG_WARN
     type(c_ptr) :: log_payload = c_null_ptr
     type(c_funptr) :: prompt = c_null_funptr
     type(c_ptr) :: prompt_payload = c_null_ptr
  end type xrun_options_c

  type, public :: xrun_ctx
     type(c_ptr) :: ptr = c_null_ptr
  end type xrun_ctx
  type, public :: xrun_machine
     type(c_ptr) :: ptr = c_null_ptr
  end type xrun_machine
  type, public :: xrun_job
     type(c_ptr) :: ptr = c_null_ptr
  end type xrun_job
  type, public :: xrun_result
     type(c_ptr) :: ptr = c_null_ptr
  end type xrun_result
  type, public :: xrun_events
     type(c_ptr) :: ptr = c_null_ptr
  end type xrun_events
  !> A job spec built field by field (xrun_spec_new ... xrun_spec_free).
  type, public :: xrun_spec
     type(c_ptr) :: ptr = c_null_ptr
  end type xrun_spec

  public :: xrun_version, xrun_library_version_number, xrun_status_name, xrun_last_error, &
       xrun_last_status, xrun_state_name, xrun_state_is_terminal
  public :: xrun_ctx_open, xrun_ctx_close, xrun_ctx_home, xrun_ctx_store_path, xrun_is_open
  public :: xrun_store_info_json
  public :: xrun_machines_list, xrun_machines_default
  public :: xrun_machine_open, xrun_machine_free, xrun_machine_name, xrun_machine_json, &
       xrun_machine_check, xrun_machine_stats
  public :: xrun_job_submit, xrun_job_submit_command, xrun_job_open, xrun_job_free, xrun_job_id, &
       xrun_job_refresh, xrun_job_state, xrun_job_exit_code, xrun_job_scheduler_id, &
       xrun_job_reason, xrun_job_info_json, xrun_job_wait, xrun_job_cancel, xrun_job_send, &
       xrun_job_read_file, &
       xrun_jobs_list, xrun_jobs_submit, xrun_poll, xrun_recover
  public :: xrun_ctx_interrupt, xrun_events_wait, xrun_job_read_file_at
  public :: xrun_job_hold, xrun_job_release, xrun_prune
  public :: xrun_job_submit_v2
  public :: xrun_set_retry_callback, xrun_retry_set_spec, xrun_spec_set_retry, xrun_spec_set_corrections
  public :: xrun_spec_new, xrun_spec_free, xrun_spec_set_name, xrun_spec_set_machine, &
       xrun_spec_set_command, xrun_spec_add_arg, xrun_spec_set_workdir, xrun_spec_add_upload, &
       xrun_spec_add_retrieve, xrun_spec_set_retrieve_to, xrun_spec_set_parser, xrun_spec_set_parse_file, &
       xrun_spec_add_dependency, xrun_spec_set_cleanup, xrun_spec_set_array, xrun_spec_set_env, &
       xrun_spec_set_resource, xrun_spec_set_flag, xrun_spec_to_json, xrun_job_submit_spec, &
       xrun_jobs_submit_specs
  public :: xrun_events_since, xrun_events_free, xrun_events_count, xrun_events_seq, &
       xrun_events_time_ms, xrun_events_job_id, xrun_events_state, xrun_events_message, &
       xrun_events_kind, xrun_events_json
  public :: xrun_parse_file, xrun_parse_buffer, xrun_job_result, xrun_result_free, &
       xrun_result_json, xrun_result_double, xrun_result_code, xrun_result_diagnosis, &
       xrun_result_diagnosis_line, xrun_result_diagnosis_text, xrun_result_array, xrun_result_rows, &
       xrun_result_string_at

  abstract interface
     !> A log callback for xrun_ctx_open: `message` is a C string borrowed
     !> for the call (copy it with xrun_c_string). It may be called from any
     !> thread that uses the context and must not call back into xrun.
     subroutine xrun_log_handler(level, message, payload) bind(c)
       import :: c_int, c_ptr
       integer(c_int), value :: level
       type(c_ptr), value :: message, payload
     end subroutine xrun_log_handler
  end interface
  public :: xrun_log_handler, xrun_c_string

  !> Wait for a job with a timeout in ms of either integer kind.
  interface xrun_job_wait
     module procedure job_wait_i32, job_wait_i64
  end interface xrun_job_wait

  !> Whether a handle has been opened and not freed.
  interface xrun_is_open
     module procedure ctx_is_open, machine_is_open, job_is_open, result_is_open, events_is_open, &
          spec_is_open
  end interface xrun_is_open

  !> Set a resource of a spec: text for any key ("64G", "01:00:00",
  !> "standard", "2"), or an integer of either kind for the counts.
  interface xrun_spec_set_resource
     module procedure spec_set_resource_text, spec_set_resource_i32, spec_set_resource_i64
  end interface xrun_spec_set_resource

  ! ---- the C API, private: callers use the wrappers below ---------------
  interface
     function c_strlen(s) bind(c, name="strlen") result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: s
       integer(c_size_t) :: n
     end function c_strlen
     subroutine c_xrun_free(p) bind(c, name="xrun_free")
       import :: c_ptr
       type(c_ptr), value :: p
     end subroutine c_xrun_free
     function c_xrun_version() bind(c, name="xrun_version") result(r)
       import :: c_ptr
       type(c_ptr) :: r
     end function c_xrun_version
     function c_xrun_version_number() bind(c, name="xrun_version_number") result(r)
       import :: c_int
       integer(c_int) :: r
     end function c_xrun_version_number
     function c_xrun_status_name(status) bind(c, name="xrun_status_name") result(r)
       import :: c_ptr, c_int
       integer(c_int), value :: status
       type(c_ptr) :: r
     end function c_xrun_status_name
     function c_xrun_last_error() bind(c, name="xrun_last_error") result(r)
       import :: c_ptr
       type(c_ptr) :: r
     end function c_xrun_last_error
     function c_xrun_last_status() bind(c, name="xrun_last_status") result(r)
       import :: c_int
       integer(c_int) :: r
     end function c_xrun_last_status
     function c_xrun_state_name(state) bind(c, name="xrun_state_name") result(r)
       import :: c_ptr, c_int
       integer(c_int), value :: state
       type(c_ptr) :: r
     end function c_xrun_state_name
     function c_xrun_state_is_terminal(state) bind(c, name="xrun_state_is_terminal") result(r)
       import :: c_int
       integer(c_int), value :: state
       integer(c_int) :: r
     end function c_xrun_state_is_terminal
     function c_xrun_options_init(opts, version) bind(c, name="xrun_options_init") result(r)
       import :: c_int, xrun_options_c
       type(xrun_options_c), intent(inout) :: opts
       integer(c_int), value :: version
       integer(c_int) :: r
     end function c_xrun_options_init
     function c_xrun_ctx_open(out, opts) bind(c, name="xrun_ctx_open") result(r)
       import :: c_ptr, c_int, xrun_options_c
       type(c_ptr), intent(out) :: out
       type(xrun_options_c), intent(in) :: opts
       integer(c_int) :: r
     end function c_xrun_ctx_open
     function c_xrun_ctx_open_read_only(out, opts) bind(c, name="xrun_ctx_open_read_only") result(r)
       import :: c_ptr, c_int, xrun_options_c
       type(c_ptr), intent(out) :: out
       type(xrun_options_c), intent(in) :: opts
       integer(c_int) :: r
     end function c_xrun_ctx_open_read_only
     subroutine c_xrun_ctx_close(ctx) bind(c, name="xrun_ctx_close")
       import :: c_ptr
       type(c_ptr), value :: ctx
     end subroutine c_xrun_ctx_close
     function c_xrun_ctx_home(ctx) bind(c, name="xrun_ctx_home") result(r)
       import :: c_ptr
       type(c_ptr), value :: ctx
       type(c_ptr) :: r
     end function c_xrun_ctx_home
     function c_xrun_ctx_store_path(ctx) bind(c, name="xrun_ctx_store_path") result(r)
       import :: c_ptr
       type(c_ptr), value :: ctx
       type(c_ptr) :: r
     end function c_xrun_ctx_store_path
     function c_xrun_store_info_json(out, ctx) bind(c, name="xrun_store_info_json") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       integer(c_int) :: r
     end function c_xrun_store_info_json
     function c_xrun_machines_list(out, ctx) bind(c, name="xrun_machines_list") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       integer(c_int) :: r
     end function c_xrun_machines_list
     function c_xrun_machines_default(out, ctx) bind(c, name="xrun_machines_default") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       integer(c_int) :: r
     end function c_xrun_machines_default
     function c_xrun_machine_open(out, ctx, name) bind(c, name="xrun_machine_open") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int) :: r
     end function c_xrun_machine_open
     subroutine c_xrun_machine_free(m) bind(c, name="xrun_machine_free")
       import :: c_ptr
       type(c_ptr), value :: m
     end subroutine c_xrun_machine_free
     function c_xrun_machine_name(m) bind(c, name="xrun_machine_name") result(r)
       import :: c_ptr
       type(c_ptr), value :: m
       type(c_ptr) :: r
     end function c_xrun_machine_name
     function c_xrun_machine_json(out, m) bind(c, name="xrun_machine_json") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: m
       integer(c_int) :: r
     end function c_xrun_machine_json
     function c_xrun_machine_check(out, m) bind(c, name="xrun_machine_check") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: m
       integer(c_int) :: r
     end function c_xrun_machine_check
     function c_xrun_machine_stats(out, m) bind(c, name="xrun_machine_stats") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: m
       integer(c_int) :: r
     end function c_xrun_machine_stats
     function c_xrun_job_submit(out, ctx, spec) bind(c, name="xrun_job_submit") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       character(kind=c_char), intent(in) :: spec(*)
       integer(c_int) :: r
     end function c_xrun_job_submit
     function c_xrun_job_submit_v2(out, ctx, spec) bind(c, name="xrun_job_submit_v2") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       character(kind=c_char), intent(in) :: spec(*)
       integer(c_int) :: r
     end function c_xrun_job_submit_v2
     function c_xrun_job_submit_command(out, ctx, machine, name, command) &
          bind(c, name="xrun_job_submit_command") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx, machine, name
       character(kind=c_char), intent(in) :: command(*)
       integer(c_int) :: r
     end function c_xrun_job_submit_command
     function c_xrun_job_open(out, ctx, id) bind(c, name="xrun_job_open") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       character(kind=c_char), intent(in) :: id(*)
       integer(c_int) :: r
     end function c_xrun_job_open
     subroutine c_xrun_job_free(job) bind(c, name="xrun_job_free")
       import :: c_ptr
       type(c_ptr), value :: job
     end subroutine c_xrun_job_free
     function c_xrun_job_id(job) bind(c, name="xrun_job_id") result(r)
       import :: c_ptr
       type(c_ptr), value :: job
       type(c_ptr) :: r
     end function c_xrun_job_id
     function c_xrun_job_refresh(job) bind(c, name="xrun_job_refresh") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_refresh
     function c_xrun_job_state(job) bind(c, name="xrun_job_state") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_state
     function c_xrun_job_exit_code(job, code) bind(c, name="xrun_job_exit_code") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: job
       integer(c_int), intent(out) :: code
       integer(c_int) :: r
     end function c_xrun_job_exit_code
     function c_xrun_job_scheduler_id(job) bind(c, name="xrun_job_scheduler_id") result(r)
       import :: c_ptr
       type(c_ptr), value :: job
       type(c_ptr) :: r
     end function c_xrun_job_scheduler_id
     function c_xrun_job_reason(job) bind(c, name="xrun_job_reason") result(r)
       import :: c_ptr
       type(c_ptr), value :: job
       type(c_ptr) :: r
     end function c_xrun_job_reason
     function c_xrun_job_info_json(out, job) bind(c, name="xrun_job_info_json") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_info_json
     function c_xrun_job_wait(job, timeout_ms) bind(c, name="xrun_job_wait") result(r)
       import :: c_ptr, c_int, c_int64_t
       type(c_ptr), value :: job
       integer(c_int64_t), value :: timeout_ms
       integer(c_int) :: r
     end function c_xrun_job_wait
     function c_xrun_job_cancel(job) bind(c, name="xrun_job_cancel") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_cancel
     function c_xrun_job_send(job) bind(c, name="xrun_job_send") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_send
     function c_xrun_job_read_file(out, size, job, name, max_bytes) &
          bind(c, name="xrun_job_read_file") result(r)
       import :: c_ptr, c_int, c_char, c_size_t, c_int64_t
       type(c_ptr), intent(out) :: out
       integer(c_size_t), intent(out) :: size
       type(c_ptr), value :: job
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int64_t), value :: max_bytes
       integer(c_int) :: r
     end function c_xrun_job_read_file
     function c_xrun_jobs_submit(out, ctx, specs) bind(c, name="xrun_jobs_submit") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       character(kind=c_char), intent(in) :: specs(*)
       integer(c_int) :: r
     end function c_xrun_jobs_submit
     function c_xrun_jobs_list(out, ctx, machine, state, limit) bind(c, name="xrun_jobs_list") result(r)
       import :: c_ptr, c_int, c_int64_t
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx, machine
       integer(c_int), value :: state
       integer(c_int64_t), value :: limit
       integer(c_int) :: r
     end function c_xrun_jobs_list
     function c_xrun_poll(ctx, next_ms) bind(c, name="xrun_poll") result(r)
       import :: c_ptr, c_int, c_int64_t
       type(c_ptr), value :: ctx
       integer(c_int64_t), intent(out) :: next_ms
       integer(c_int) :: r
     end function c_xrun_poll
     function c_xrun_ctx_interrupt(ctx) bind(c, name="xrun_ctx_interrupt") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: ctx
       integer(c_int) :: r
     end function c_xrun_ctx_interrupt
     function c_xrun_set_retry_callback(ctx, fn, payload) bind(c, name="xrun_set_retry_callback") result(r)
       import :: c_ptr, c_int, c_funptr
       type(c_ptr), value :: ctx
       type(c_funptr), value :: fn
       type(c_ptr), value :: payload
       integer(c_int) :: r
     end function c_xrun_set_retry_callback
     function c_xrun_retry_set_spec(retry, spec_json) bind(c, name="xrun_retry_set_spec") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: retry
       character(kind=c_char), intent(in) :: spec_json(*)
       integer(c_int) :: r
     end function c_xrun_retry_set_spec
     function c_xrun_spec_set_retry(spec, policy_json) bind(c, name="xrun_spec_set_retry") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: policy_json(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_retry
     function c_xrun_spec_set_corrections(spec, mode) bind(c, name="xrun_spec_set_corrections") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: mode(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_corrections
     function c_xrun_events_wait(last_seq, ctx, after_seq, timeout_ms) &
          bind(c, name="xrun_events_wait") result(r)
       import :: c_ptr, c_int, c_int64_t
       integer(c_int64_t), intent(out) :: last_seq
       type(c_ptr), value :: ctx
       integer(c_int64_t), value :: after_seq, timeout_ms
       integer(c_int) :: r
     end function c_xrun_events_wait
     function c_xrun_job_read_file_at(out, size, total, job, name, offset, max_bytes) &
          bind(c, name="xrun_job_read_file_at") result(r)
       import :: c_ptr, c_int, c_char, c_size_t, c_int64_t
       type(c_ptr), intent(out) :: out
       integer(c_size_t), intent(out) :: size
       integer(c_int64_t), intent(out) :: total
       type(c_ptr), value :: job
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int64_t), value :: offset, max_bytes
       integer(c_int) :: r
     end function c_xrun_job_read_file_at
     function c_xrun_job_hold(job) bind(c, name="xrun_job_hold") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_hold
     function c_xrun_job_release(job) bind(c, name="xrun_job_release") result(r)
       import :: c_ptr, c_int
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_release
     function c_xrun_prune(out, ctx, older_than_ms) bind(c, name="xrun_prune") result(r)
       import :: c_ptr, c_int, c_int64_t
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       integer(c_int64_t), value :: older_than_ms
       integer(c_int) :: r
     end function c_xrun_prune
     function c_xrun_recover(out, ctx) bind(c, name="xrun_recover") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       integer(c_int) :: r
     end function c_xrun_recover
     function c_xrun_events_since(out, ctx, after_seq, max) bind(c, name="xrun_events_since") result(r)
       import :: c_ptr, c_int, c_int64_t
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       integer(c_int64_t), value :: after_seq, max
       integer(c_int) :: r
     end function c_xrun_events_since
     subroutine c_xrun_events_free(ev) bind(c, name="xrun_events_free")
       import :: c_ptr
       type(c_ptr), value :: ev
     end subroutine c_xrun_events_free
     function c_xrun_events_count(ev) bind(c, name="xrun_events_count") result(r)
       import :: c_ptr, c_int64_t
       type(c_ptr), value :: ev
       integer(c_int64_t) :: r
     end function c_xrun_events_count
     function c_xrun_events_seq(ev, i) bind(c, name="xrun_events_seq") result(r)
       import :: c_ptr, c_int64_t
       type(c_ptr), value :: ev
       integer(c_int64_t), value :: i
       integer(c_int64_t) :: r
     end function c_xrun_events_seq
     function c_xrun_events_time_ms(ev, i) bind(c, name="xrun_events_time_ms") result(r)
       import :: c_ptr, c_int64_t
       type(c_ptr), value :: ev
       integer(c_int64_t), value :: i
       integer(c_int64_t) :: r
     end function c_xrun_events_time_ms
     function c_xrun_events_job_id(ev, i) bind(c, name="xrun_events_job_id") result(r)
       import :: c_ptr, c_int64_t
       type(c_ptr), value :: ev
       integer(c_int64_t), value :: i
       type(c_ptr) :: r
     end function c_xrun_events_job_id
     function c_xrun_events_state(ev, i) bind(c, name="xrun_events_state") result(r)
       import :: c_ptr, c_int, c_int64_t
       type(c_ptr), value :: ev
       integer(c_int64_t), value :: i
       integer(c_int) :: r
     end function c_xrun_events_state
     function c_xrun_events_message(ev, i) bind(c, name="xrun_events_message") result(r)
       import :: c_ptr, c_int64_t
       type(c_ptr), value :: ev
       integer(c_int64_t), value :: i
       type(c_ptr) :: r
     end function c_xrun_events_message
     function c_xrun_events_kind(ev, i) bind(c, name="xrun_events_kind") result(r)
       import :: c_ptr, c_int64_t
       type(c_ptr), value :: ev
       integer(c_int64_t), value :: i
       type(c_ptr) :: r
     end function c_xrun_events_kind
     function c_xrun_events_json(out, ev) bind(c, name="xrun_events_json") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ev
       integer(c_int) :: r
     end function c_xrun_events_json
     function c_xrun_parse_file(out, path, parser) bind(c, name="xrun_parse_file") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), intent(out) :: out
       character(kind=c_char), intent(in) :: path(*)
       type(c_ptr), value :: parser
       integer(c_int) :: r
     end function c_xrun_parse_file
     function c_xrun_parse_buffer(out, data, size, parser) bind(c, name="xrun_parse_buffer") result(r)
       import :: c_ptr, c_int, c_char, c_size_t
       type(c_ptr), intent(out) :: out
       character(kind=c_char), intent(in) :: data(*)
       integer(c_size_t), value :: size
       type(c_ptr), value :: parser
       integer(c_int) :: r
     end function c_xrun_parse_buffer
     function c_xrun_job_result(out, job) bind(c, name="xrun_job_result") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: job
       integer(c_int) :: r
     end function c_xrun_job_result
     subroutine c_xrun_result_free(res) bind(c, name="xrun_result_free")
       import :: c_ptr
       type(c_ptr), value :: res
     end subroutine c_xrun_result_free
     function c_xrun_result_json(out, res) bind(c, name="xrun_result_json") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: res
       integer(c_int) :: r
     end function c_xrun_result_json
     function c_xrun_result_double(res, key, value) bind(c, name="xrun_result_double") result(r)
       import :: c_ptr, c_int, c_char, c_double
       type(c_ptr), value :: res
       character(kind=c_char), intent(in) :: key(*)
       real(c_double), intent(out) :: value
       integer(c_int) :: r
     end function c_xrun_result_double
     function c_xrun_result_code(res) bind(c, name="xrun_result_code") result(r)
       import :: c_ptr
       type(c_ptr), value :: res
       type(c_ptr) :: r
     end function c_xrun_result_code
     function c_xrun_result_diagnosis(res) bind(c, name="xrun_result_diagnosis") result(r)
       import :: c_ptr
       type(c_ptr), value :: res
       type(c_ptr) :: r
     end function c_xrun_result_diagnosis
     function c_xrun_result_diagnosis_line(res) bind(c, name="xrun_result_diagnosis_line") result(r)
       import :: c_ptr, c_int64_t
       type(c_ptr), value :: res
       integer(c_int64_t) :: r
     end function c_xrun_result_diagnosis_line
     function c_xrun_result_diagnosis_text(res) bind(c, name="xrun_result_diagnosis_text") result(r)
       import :: c_ptr
       type(c_ptr), value :: res
       type(c_ptr) :: r
     end function c_xrun_result_diagnosis_text
     function c_xrun_result_array(res, key, values, capacity, out_len) bind(c, name="xrun_result_array") result(r)
       import :: c_ptr, c_int, c_char, c_size_t
       type(c_ptr), value :: res
       character(kind=c_char), intent(in) :: key(*)
       type(c_ptr), value :: values
       integer(c_size_t), value :: capacity
       integer(c_size_t), intent(out) :: out_len
       integer(c_int) :: r
     end function c_xrun_result_array
     function c_xrun_result_string_at(res, key, index) bind(c, name="xrun_result_string_at") result(r)
       import :: c_ptr, c_char, c_size_t
       type(c_ptr), value :: res
       character(kind=c_char), intent(in) :: key(*)
       integer(c_size_t), value :: index
       type(c_ptr) :: r
     end function c_xrun_result_string_at
     function c_xrun_spec_set_name(spec, name) bind(c, name="xrun_spec_set_name") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_name
     function c_xrun_spec_set_machine(spec, machine) bind(c, name="xrun_spec_set_machine") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: machine(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_machine
     function c_xrun_spec_set_command(spec, command) bind(c, name="xrun_spec_set_command") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: command(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_command
     function c_xrun_spec_add_arg(spec, arg) bind(c, name="xrun_spec_add_arg") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: arg(*)
       integer(c_int) :: r
     end function c_xrun_spec_add_arg
     function c_xrun_spec_set_workdir(spec, workdir) bind(c, name="xrun_spec_set_workdir") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: workdir(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_workdir
     function c_xrun_spec_add_upload(spec, path) bind(c, name="xrun_spec_add_upload") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: path(*)
       integer(c_int) :: r
     end function c_xrun_spec_add_upload
     function c_xrun_spec_add_retrieve(spec, name) bind(c, name="xrun_spec_add_retrieve") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int) :: r
     end function c_xrun_spec_add_retrieve
     function c_xrun_spec_set_retrieve_to(spec, dir) bind(c, name="xrun_spec_set_retrieve_to") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: dir(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_retrieve_to
     function c_xrun_spec_set_parser(spec, parser) bind(c, name="xrun_spec_set_parser") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: parser(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_parser
     function c_xrun_spec_set_parse_file(spec, name) bind(c, name="xrun_spec_set_parse_file") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_parse_file
     function c_xrun_spec_add_dependency(spec, job_id) bind(c, name="xrun_spec_add_dependency") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: job_id(*)
       integer(c_int) :: r
     end function c_xrun_spec_add_dependency
     function c_xrun_spec_set_cleanup(spec, policy) bind(c, name="xrun_spec_set_cleanup") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: policy(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_cleanup
     function c_xrun_spec_set_array(spec, range) bind(c, name="xrun_spec_set_array") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: range(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_array
     function c_xrun_spec_new(out) bind(c, name="xrun_spec_new") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       integer(c_int) :: r
     end function c_xrun_spec_new
     subroutine c_xrun_spec_free(spec) bind(c, name="xrun_spec_free")
       import :: c_ptr
       type(c_ptr), value :: spec
     end subroutine c_xrun_spec_free
     function c_xrun_spec_set_env(spec, name, value) bind(c, name="xrun_spec_set_env") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: name(*), value(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_env
     function c_xrun_spec_set_resource(spec, key, value) bind(c, name="xrun_spec_set_resource") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: key(*), value(*)
       integer(c_int) :: r
     end function c_xrun_spec_set_resource
     function c_xrun_spec_set_resource_int(spec, key, value) bind(c, name="xrun_spec_set_resource_int") result(r)
       import :: c_ptr, c_int, c_char, c_int64_t
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: key(*)
       integer(c_int64_t), value :: value
       integer(c_int) :: r
     end function c_xrun_spec_set_resource_int
     function c_xrun_spec_set_flag(spec, flag, value) bind(c, name="xrun_spec_set_flag") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: spec
       character(kind=c_char), intent(in) :: flag(*)
       integer(c_int), value :: value
       integer(c_int) :: r
     end function c_xrun_spec_set_flag
     function c_xrun_spec_to_json(out, spec) bind(c, name="xrun_spec_to_json") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: spec
       integer(c_int) :: r
     end function c_xrun_spec_to_json
     function c_xrun_job_submit_spec(out, ctx, spec) bind(c, name="xrun_job_submit_spec") result(r)
       import :: c_ptr, c_int
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx, spec
       integer(c_int) :: r
     end function c_xrun_job_submit_spec
     function c_xrun_jobs_submit_specs(out, ctx, specs, count) bind(c, name="xrun_jobs_submit_specs") result(r)
       import :: c_ptr, c_int, c_size_t
       type(c_ptr), intent(out) :: out
       type(c_ptr), value :: ctx
       type(c_ptr), intent(in) :: specs(*)
       integer(c_size_t), value :: count
       integer(c_int) :: r
     end function c_xrun_jobs_submit_specs
  end interface

contains

  ! ---- string and status plumbing ----------------------------------------

  !> A Fortran string as a NUL-terminated C string.
  pure function c_string(s) result(c)
    character(len=*), intent(in) :: s
    character(kind=c_char, len=:), allocatable :: c
    c = s // c_null_char
  end function c_string

  !> A copy of a BORROWED C string ("" for NULL).
  function f_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer(c_size_t) :: n, i
    if (.not. c_associated(p)) then
       s = ""
       return
    end if
    n = c_strlen(p)
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: s)
    do i = 1, n
       s(i:i) = chars(i)
    end do
  end function f_string

  !> A copy of a C string the library lends (e.g. a log message).
  function xrun_c_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    s = f_string(p)
  end function xrun_c_string

  !> Takes an OWNED C string: copies it, then releases it with xrun_free.
  function take_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    s = f_string(p)
    call c_xrun_free(p)
  end function take_string

  !> The text of a failure: "XRUN_E_NAME: the library's message" ("" for
  !> XRUN_OK). Read right after the failing call, on the same thread. (A
  !> subroutine, not a function: gfortran 12 crashes compiling the
  !> function form.)
  subroutine status_message(status, message)
    integer(c_int), intent(in) :: status
    character(len=:), allocatable, intent(out) :: message
    if (status /= XRUN_OK) then
       message = f_string(c_xrun_status_name(status)) // ": " // f_string(c_xrun_last_error())
    else
       message = ""
    end if
  end subroutine status_message

  !> Reports a status the intrinsic way: into `stat` when given, otherwise
  !> a failure stops the program with the library's message. Wrappers set
  !> `errmsg` themselves, before this: gfortran 12 mishandles an optional
  !> deferred-length argument handed on to another optional dummy.
  subroutine report(status, stat)
    integer(c_int), intent(in) :: status
    integer, intent(out), optional :: stat
    character(len=:), allocatable :: message
    if (present(stat)) then
       stat = int(status)
    else if (status /= XRUN_OK) then
       call status_message(status, message)
       error stop message
    end if
  end subroutine report

  ! ---- version, status, states -------------------------------------------

  function xrun_version() result(s)
    character(len=:), allocatable :: s
    s = f_string(c_xrun_version())
  end function xrun_version

  !> The loaded library's version number; compare with XRUN_VERSION_NUMBER.
  integer function xrun_library_version_number()
    xrun_library_version_number = int(c_xrun_version_number())
  end function xrun_library_version_number

  !> "XRUN_E_TIMEOUT", ... for a status code.
  function xrun_status_name(status) result(s)
    integer, intent(in) :: status
    character(len=:), allocatable :: s
    s = f_string(c_xrun_status_name(int(status, c_int)))
  end function xrun_status_name

  !> The message of the last failed call on this thread.
  function xrun_last_error() result(s)
    character(len=:), allocatable :: s
    s = f_string(c_xrun_last_error())
  end function xrun_last_error

  integer function xrun_last_status()
    xrun_last_status = int(c_xrun_last_status())
  end function xrun_last_status

  function xrun_state_name(state) result(s)
    integer, intent(in) :: state
    character(len=:), allocatable :: s
    s = f_string(c_xrun_state_name(int(state, c_int)))
  end function xrun_state_name

  logical function xrun_state_is_terminal(state)
    integer, intent(in) :: state
    xrun_state_is_terminal = c_xrun_state_is_terminal(int(state, c_int)) /= 0
  end function xrun_state_is_terminal

  ! ---- context -------------------------------------------------------------

  !> Open a context. `home` defaults to $XRUN_HOME, else ~/.xrun. `log`
  !> receives the library's log lines up to `log_level` (default
  !> XRUN_LOG_WARN); pass the optional arguments by keyword.
  !> `read_only` .true.: a context that only reads the store (no lock, a
  !> broken machine file is only logged; see xrun_ctx_open_read_only).
  subroutine xrun_ctx_open(ctx, home, store_path, log, log_level, stat, errmsg, read_only)
    type(xrun_ctx), intent(out) :: ctx
    logical, intent(in), optional :: read_only
    character(len=*), intent(in), optional :: home, store_path
    procedure(xrun_log_handler), optional :: log
    integer, intent(in), optional :: log_level
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(xrun_options_c) :: opts
    character(kind=c_char, len=:), allocatable, target :: c_home, c_store
    integer(c_int) :: status
    status = c_xrun_options_init(opts, XRUN_OPTIONS_VERSION)
    if (status == XRUN_OK) then
       if (present(home)) then
          c_home = c_string(home)
          opts%home = c_loc(c_home)
       end if
       if (present(store_path)) then
          c_store = c_string(store_path)
          opts%store_path = c_loc(c_store)
       end if
       if (present(log)) opts%log = c_funloc(log)
       if (present(log_level)) opts%log_level = int(log_level, c_int)
       if (present(read_only)) then
          if (read_only) then
             status = c_xrun_ctx_open_read_only(ctx%ptr, opts)
          else
             status = c_xrun_ctx_open(ctx%ptr, opts)
          end if
       else
          status = c_xrun_ctx_open(ctx%ptr, opts)
       end if
    end if
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_ctx_open

  !> Drop the caller's reference; jobs and machines still open keep the
  !> library's context alive. Closing never cancels jobs.
  subroutine xrun_ctx_close(ctx)
    type(xrun_ctx), intent(inout) :: ctx
    call c_xrun_ctx_close(ctx%ptr)
    ctx%ptr = c_null_ptr
  end subroutine xrun_ctx_close

  function xrun_ctx_home(ctx) result(s)
    type(xrun_ctx), intent(in) :: ctx
    character(len=:), allocatable :: s
    s = f_string(c_xrun_ctx_home(ctx%ptr))
  end function xrun_ctx_home

  function xrun_ctx_store_path(ctx) result(s)
    type(xrun_ctx), intent(in) :: ctx
    character(len=:), allocatable :: s
    s = f_string(c_xrun_ctx_store_path(ctx%ptr))
  end function xrun_ctx_store_path

  logical function ctx_is_open(h)
    type(xrun_ctx), intent(in) :: h
    ctx_is_open = c_associated(h%ptr)
  end function ctx_is_open
  logical function machine_is_open(h)
    type(xrun_machine), intent(in) :: h
    machine_is_open = c_associated(h%ptr)
  end function machine_is_open
  logical function job_is_open(h)
    type(xrun_job), intent(in) :: h
    job_is_open = c_associated(h%ptr)
  end function job_is_open
  logical function result_is_open(h)
    type(xrun_result), intent(in) :: h
    result_is_open = c_associated(h%ptr)
  end function result_is_open
  logical function events_is_open(h)
    type(xrun_events), intent(in) :: h
    events_is_open = c_associated(h%ptr)
  end function events_is_open

  !> The job store as JSON: backend, location (no password), schema versions,
  !> jobs, last event.
  subroutine xrun_store_info_json(ctx, json, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_store_info_json(out, ctx%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_store_info_json

  ! ---- machines ------------------------------------------------------------

  !> The configured machines as JSON text.
  subroutine xrun_machines_list(ctx, json, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_machines_list(out, ctx%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_machines_list

  subroutine xrun_machines_default(ctx, name, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    character(len=:), allocatable, intent(out) :: name
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_machines_default(out, ctx%ptr)
    name = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_machines_default

  !> Open a machine by name (absent or "": the default). Never connects.
  subroutine xrun_machine_open(machine, ctx, name, stat, errmsg)
    type(xrun_machine), intent(out) :: machine
    type(xrun_ctx), intent(in) :: ctx
    character(len=*), intent(in), optional :: name
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    if (present(name)) then
       status = c_xrun_machine_open(machine%ptr, ctx%ptr, c_string(name))
    else
       status = c_xrun_machine_open(machine%ptr, ctx%ptr, c_null_char)
    end if
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_machine_open

  subroutine xrun_machine_free(machine)
    type(xrun_machine), intent(inout) :: machine
    call c_xrun_machine_free(machine%ptr)
    machine%ptr = c_null_ptr
  end subroutine xrun_machine_free

  function xrun_machine_name(machine) result(s)
    type(xrun_machine), intent(in) :: machine
    character(len=:), allocatable :: s
    s = f_string(c_xrun_machine_name(machine%ptr))
  end function xrun_machine_name

  subroutine xrun_machine_json(machine, json, stat, errmsg)
    type(xrun_machine), intent(in) :: machine
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_machine_json(out, machine%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_machine_json

  !> Check a machine step by step; `report_json` is set even when a step
  !> fails (then `stat` is the first failing step's status).
  subroutine xrun_machine_check(machine, report_json, stat, errmsg)
    type(xrun_machine), intent(in) :: machine
    character(len=:), allocatable, intent(out) :: report_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_machine_check(out, machine%ptr)
    report_json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_machine_check

  subroutine xrun_machine_stats(machine, json, stat, errmsg)
    type(xrun_machine), intent(in) :: machine
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_machine_stats(out, machine%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_machine_stats

  ! ---- jobs ----------------------------------------------------------------

  !> Submit a job from a JSON spec (see xrun.h for its keys).
  subroutine xrun_job_submit(job, ctx, spec_json, stat, errmsg)
    type(xrun_job), intent(out) :: job
    type(xrun_ctx), intent(in) :: ctx
    character(len=*), intent(in) :: spec_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_submit(job%ptr, ctx%ptr, c_string(spec_json))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_submit

  !> Submit like xrun_job_submit, but `job` is set whenever the job was
  !> recorded, also when its send failed (stat XRUN_E_TRANSPORT, ...): it is
  !> then created (xrun_job_send sends it again) or waiting (poll rounds
  !> send it). Free it with xrun_job_free in both cases.
  subroutine xrun_job_submit_v2(job, ctx, spec_json, stat, errmsg)
    type(xrun_job), intent(out) :: job
    type(xrun_ctx), intent(in) :: ctx
    character(len=*), intent(in) :: spec_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_submit_v2(job%ptr, ctx%ptr, c_string(spec_json))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_submit_v2

  !> Submit a shell command line: the JSON-free way. `machine` absent: the
  !> default machine.
  subroutine xrun_job_submit_command(job, ctx, command, machine, name, stat, errmsg)
    type(xrun_job), intent(out) :: job
    type(xrun_ctx), intent(in) :: ctx
    character(len=*), intent(in) :: command
    character(len=*), intent(in), optional :: machine, name
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    character(kind=c_char, len=:), allocatable, target :: c_machine, c_name
    type(c_ptr) :: p_machine, p_name
    p_machine = c_null_ptr
    p_name = c_null_ptr
    if (present(machine)) then
       c_machine = c_string(machine)
       p_machine = c_loc(c_machine)
    end if
    if (present(name)) then
       c_name = c_string(name)
       p_name = c_loc(c_name)
    end if
    status = c_xrun_job_submit_command(job%ptr, ctx%ptr, p_machine, p_name, c_string(command))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_submit_command

  !> Open a job by its xrun id (XRUN_E_NOT_FOUND if unknown).
  subroutine xrun_job_open(job, ctx, id, stat, errmsg)
    type(xrun_job), intent(out) :: job
    type(xrun_ctx), intent(in) :: ctx
    character(len=*), intent(in) :: id
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_open(job%ptr, ctx%ptr, c_string(id))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_open

  !> Release the handle (never cancels the job).
  subroutine xrun_job_free(job)
    type(xrun_job), intent(inout) :: job
    call c_xrun_job_free(job%ptr)
    job%ptr = c_null_ptr
  end subroutine xrun_job_free

  function xrun_job_id(job) result(s)
    type(xrun_job), intent(in) :: job
    character(len=:), allocatable :: s
    s = f_string(c_xrun_job_id(job%ptr))
  end function xrun_job_id

  !> Re-read the job and poll its machine if its interval allows.
  subroutine xrun_job_refresh(job, stat, errmsg)
    type(xrun_job), intent(inout) :: job
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_refresh(job%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_refresh

  !> The XRUN_STATE_* as of the last open/refresh/wait/cancel.
  integer function xrun_job_state(job)
    type(xrun_job), intent(in) :: job
    xrun_job_state = int(c_xrun_job_state(job%ptr))
  end function xrun_job_state

  !> The exit code; stat = XRUN_E_NOT_FOUND while it is not known.
  subroutine xrun_job_exit_code(job, code, stat, errmsg)
    type(xrun_job), intent(in) :: job
    integer, intent(out) :: code
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    integer(c_int) :: c_code
    c_code = 0
    status = c_xrun_job_exit_code(job%ptr, c_code)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
    code = int(c_code)
  end subroutine xrun_job_exit_code

  function xrun_job_scheduler_id(job) result(s)
    type(xrun_job), intent(in) :: job
    character(len=:), allocatable :: s
    s = f_string(c_xrun_job_scheduler_id(job%ptr))
  end function xrun_job_scheduler_id

  function xrun_job_reason(job) result(s)
    type(xrun_job), intent(in) :: job
    character(len=:), allocatable :: s
    s = f_string(c_xrun_job_reason(job%ptr))
  end function xrun_job_reason

  subroutine xrun_job_info_json(job, json, stat, errmsg)
    type(xrun_job), intent(in) :: job
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_job_info_json(out, job%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_info_json

  !> Wait until the job is terminal, at most `timeout_ms` (< 0: forever,
  !> 0: poll once). stat = XRUN_E_TIMEOUT if time ran out first.
  subroutine job_wait_i64(job, timeout_ms, stat, errmsg)
    type(xrun_job), intent(inout) :: job
    integer(c_int64_t), intent(in) :: timeout_ms
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_wait(job%ptr, timeout_ms)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine job_wait_i64

  subroutine job_wait_i32(job, timeout_ms, stat, errmsg)
    type(xrun_job), intent(inout) :: job
    integer(c_int32_t), intent(in) :: timeout_ms
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_wait(job%ptr, int(timeout_ms, c_int64_t))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine job_wait_i32

  !> Cancel the job; XRUN_E_STATE if it already ended.
  subroutine xrun_job_cancel(job, stat, errmsg)
    type(xrun_job), intent(inout) :: job
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_cancel(job%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_cancel

  !> Send a job that is not on a scheduler yet (created after a failed send
  !> or a recover, or waiting: sent now); XRUN_E_STATE naming any other state.
  subroutine xrun_job_send(job, stat, errmsg)
    type(xrun_job), intent(inout) :: job
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_send(job%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_send

  !> The content of a file in the job's directory ("stdout", ...).
  subroutine xrun_job_read_file(job, name, data, max_bytes, stat, errmsg)
    type(xrun_job), intent(in) :: job
    character(len=*), intent(in) :: name
    character(len=:), allocatable, intent(out) :: data
    integer(c_int64_t), intent(in), optional :: max_bytes
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_size_t) :: size, i
    integer(c_int64_t) :: limit
    integer(c_int) :: status
    character(kind=c_char), pointer :: chars(:)
    limit = 0
    if (present(max_bytes)) limit = max_bytes
    status = c_xrun_job_read_file(out, size, job%ptr, c_string(name), limit)
    ! The file may hold NUL bytes: copy `size` bytes, not up to the first NUL.
    allocate (character(len=size) :: data)
    if (c_associated(out)) then
       call c_f_pointer(out, chars, [size])
       do i = 1, size
          data(i:i) = chars(i)
       end do
       call c_xrun_free(out)
    end if
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_read_file

  !> Submit several jobs at once from a JSON array of specs (one command per
  !> machine). `json` gets the outcomes: id, state, scheduler_id, error.
  subroutine xrun_jobs_submit(ctx, specs, json, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    character(len=*), intent(in) :: specs
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_jobs_submit(out, ctx%ptr, c_string(specs))
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_jobs_submit

  !> Job records as a JSON array, newest first. `state` absent or < 0: all.
  subroutine xrun_jobs_list(ctx, json, machine, state, limit, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    character(len=:), allocatable, intent(out) :: json
    character(len=*), intent(in), optional :: machine
    integer, intent(in), optional :: state
    integer, intent(in), optional :: limit
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(kind=c_char, len=:), allocatable, target :: c_machine
    type(c_ptr) :: out, p_machine
    integer(c_int) :: c_state, status
    integer(c_int64_t) :: c_limit
    p_machine = c_null_ptr
    if (present(machine)) then
       c_machine = c_string(machine)
       p_machine = c_loc(c_machine)
    end if
    c_state = -1
    if (present(state)) c_state = int(state, c_int)
    c_limit = 0
    if (present(limit)) c_limit = int(limit, c_int64_t)
    status = c_xrun_jobs_list(out, ctx%ptr, p_machine, c_state, c_limit)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_jobs_list

  !> One poll round over all machines; `next_ms` says when another round
  !> would do anything.
  subroutine xrun_poll(ctx, next_ms, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    integer(c_int64_t), intent(out), optional :: next_ms
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    integer(c_int64_t) :: next
    status = c_xrun_poll(ctx%ptr, next)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
    if (present(next_ms)) next_ms = next
  end subroutine xrun_poll

  !> Interrupt the calls of `ctx` blocked right now (on other threads):
  !> they return XRUN_E_INTERRUPTED.
  subroutine xrun_ctx_interrupt(ctx, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_ctx_interrupt(ctx%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_ctx_interrupt

  !> Set (fn = c_null_funptr: clear) the context's retry callback, a
  !> bind(c) function with the C interface of xrun_retry_fn (xrun.h),
  !> passed as c_funloc(f); payload is handed to it as is.
  subroutine xrun_set_retry_callback(ctx, fn, payload, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    type(c_funptr), intent(in) :: fn
    type(c_ptr), intent(in), optional :: payload
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    type(c_ptr) :: p
    p = c_null_ptr
    if (present(payload)) p = payload
    status = c_xrun_set_retry_callback(ctx%ptr, fn, p)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_set_retry_callback

  !> From inside a retry callback: replace the next attempt's spec.
  subroutine xrun_retry_set_spec(retry, spec_json, stat, errmsg)
    type(c_ptr), intent(in) :: retry
    character(len=*), intent(in) :: spec_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_retry_set_spec(retry, c_string(spec_json))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_retry_set_spec

  !> The job's retry policy, a JSON object ("retry").
  subroutine xrun_spec_set_retry(spec, policy_json, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: policy_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_retry(spec%ptr, c_string(policy_json))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_retry

  !> What a retry changes in the inputs: "none", "builtin" or "callback".
  subroutine xrun_spec_set_corrections(spec, mode, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: mode
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_corrections(spec%ptr, c_string(mode))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_corrections

  !> Block until an event with seq > after_seq exists (timeout_ms < 0:
  !> no limit); `last_seq` gets the newest seq. XRUN_E_TIMEOUT in `stat`
  !> when the time runs out.
  subroutine xrun_events_wait(ctx, after_seq, timeout_ms, last_seq, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    integer(c_int64_t), intent(in) :: after_seq, timeout_ms
    integer(c_int64_t), intent(out), optional :: last_seq
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    integer(c_int64_t) :: last
    last = 0
    status = c_xrun_events_wait(last, ctx%ptr, after_seq, timeout_ms)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
    if (present(last_seq)) last_seq = last
  end subroutine xrun_events_wait

  !> At most `max_bytes` (absent: 16 MiB) of a job file from byte `offset`
  !> (0-based), and the file's total size: stream or follow a file of any
  !> size, reading each byte once.
  subroutine xrun_job_read_file_at(job, name, offset, data, total_size, max_bytes, stat, errmsg)
    type(xrun_job), intent(in) :: job
    character(len=*), intent(in) :: name
    integer(c_int64_t), intent(in) :: offset
    character(len=:), allocatable, intent(out) :: data
    integer(c_int64_t), intent(out), optional :: total_size
    integer(c_int64_t), intent(in), optional :: max_bytes
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_size_t) :: size, i
    integer(c_int64_t) :: limit, total
    integer(c_int) :: status
    character(kind=c_char), pointer :: chars(:)
    limit = 0
    if (present(max_bytes)) limit = max_bytes
    status = c_xrun_job_read_file_at(out, size, total, job%ptr, c_string(name), offset, limit)
    allocate (character(len=size) :: data)
    if (c_associated(out)) then
       call c_f_pointer(out, chars, [size])
       do i = 1, size
          data(i:i) = chars(i)
       end do
       call c_xrun_free(out)
    end if
    if (present(total_size)) total_size = total
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_read_file_at

  !> Hold a queued job in its scheduler (not on the direct scheduler).
  subroutine xrun_job_hold(job, stat, errmsg)
    type(xrun_job), intent(in) :: job
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_hold(job%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_hold

  !> Release a held job.
  subroutine xrun_job_release(job, stat, errmsg)
    type(xrun_job), intent(in) :: job
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_release(job%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_release

  !> Delete terminal jobs that ended more than `older_than_ms` ago, with
  !> their events; `report_json` gets {"jobs":n,"events":n}.
  subroutine xrun_prune(ctx, older_than_ms, report_json, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    integer(c_int64_t), intent(in) :: older_than_ms
    character(len=:), allocatable, intent(out) :: report_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_prune(out, ctx%ptr, older_than_ms)
    report_json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_prune

  subroutine xrun_recover(ctx, report_json, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    character(len=:), allocatable, intent(out) :: report_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_recover(out, ctx%ptr)
    report_json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_recover

  ! ---- events --------------------------------------------------------------

  !> Journal events with seq > after_seq, oldest first (`max` <= 0: the
  !> library's default). Reads the store only.
  subroutine xrun_events_since(events, ctx, after_seq, max, stat, errmsg)
    type(xrun_events), intent(inout) :: events
    type(xrun_ctx), intent(in) :: ctx
    integer(c_int64_t), intent(in) :: after_seq
    integer, intent(in), optional :: max
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    integer(c_int64_t) :: limit
    limit = 0
    if (present(max)) limit = int(max, c_int64_t)
    call xrun_events_free(events)
    status = c_xrun_events_since(events%ptr, ctx%ptr, after_seq, limit)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_events_since

  subroutine xrun_events_free(events)
    type(xrun_events), intent(inout) :: events
    call c_xrun_events_free(events%ptr)
    events%ptr = c_null_ptr
  end subroutine xrun_events_free

  integer(c_int64_t) function xrun_events_count(events)
    type(xrun_events), intent(in) :: events
    xrun_events_count = c_xrun_events_count(events%ptr)
  end function xrun_events_count

  !> Accessors for event i, 1 <= i <= count.
  integer(c_int64_t) function xrun_events_seq(events, i)
    type(xrun_events), intent(in) :: events
    integer, intent(in) :: i
    xrun_events_seq = c_xrun_events_seq(events%ptr, int(i - 1, c_int64_t))
  end function xrun_events_seq

  integer(c_int64_t) function xrun_events_time_ms(events, i)
    type(xrun_events), intent(in) :: events
    integer, intent(in) :: i
    xrun_events_time_ms = c_xrun_events_time_ms(events%ptr, int(i - 1, c_int64_t))
  end function xrun_events_time_ms

  function xrun_events_job_id(events, i) result(s)
    type(xrun_events), intent(in) :: events
    integer, intent(in) :: i
    character(len=:), allocatable :: s
    s = f_string(c_xrun_events_job_id(events%ptr, int(i - 1, c_int64_t)))
  end function xrun_events_job_id

  integer function xrun_events_state(events, i)
    type(xrun_events), intent(in) :: events
    integer, intent(in) :: i
    xrun_events_state = int(c_xrun_events_state(events%ptr, int(i - 1, c_int64_t)))
  end function xrun_events_state

  function xrun_events_message(events, i) result(s)
    type(xrun_events), intent(in) :: events
    integer, intent(in) :: i
    character(len=:), allocatable :: s
    s = f_string(c_xrun_events_message(events%ptr, int(i - 1, c_int64_t)))
  end function xrun_events_message

  !> "state" (the state changed) or "reason" (same state, new reason) for
  !> event i (1-based); "" out of range.
  function xrun_events_kind(events, i) result(s)
    type(xrun_events), intent(in) :: events
    integer, intent(in) :: i
    character(len=:), allocatable :: s
    s = f_string(c_xrun_events_kind(events%ptr, int(i - 1, c_int64_t)))
  end function xrun_events_kind

  subroutine xrun_events_json(events, json, stat, errmsg)
    type(xrun_events), intent(in) :: events
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_events_json(out, events%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_events_json

  ! ---- parsed results ------------------------------------------------------

  !> Parse an output file; `parser` is "qe", "vasp", "crystal" or absent
  !> (detect from the content).
  subroutine xrun_parse_file(res, path, parser, stat, errmsg)
    type(xrun_result), intent(inout) :: res
    character(len=*), intent(in) :: path
    character(len=*), intent(in), optional :: parser
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    character(kind=c_char, len=:), allocatable, target :: c_parser
    type(c_ptr) :: p_parser
    p_parser = c_null_ptr
    if (present(parser)) then
       c_parser = c_string(parser)
       p_parser = c_loc(c_parser)
    end if
    call xrun_result_free(res)
    status = c_xrun_parse_file(res%ptr, c_string(path), p_parser)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_parse_file

  !> Parse output text held in memory.
  subroutine xrun_parse_buffer(res, data, parser, stat, errmsg)
    type(xrun_result), intent(inout) :: res
    character(len=*), intent(in) :: data
    character(len=*), intent(in), optional :: parser
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    character(kind=c_char, len=:), allocatable, target :: c_parser
    type(c_ptr) :: p_parser
    p_parser = c_null_ptr
    if (present(parser)) then
       c_parser = c_string(parser)
       p_parser = c_loc(c_parser)
    end if
    call xrun_result_free(res)
    status = c_xrun_parse_buffer(res%ptr, data, int(len(data), c_size_t), p_parser)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_parse_buffer

  !> The parsed result of a job whose spec named a parser;
  !> XRUN_E_NOT_FOUND if none (yet).
  subroutine xrun_job_result(res, job, stat, errmsg)
    type(xrun_result), intent(inout) :: res
    type(xrun_job), intent(in) :: job
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    call xrun_result_free(res)
    status = c_xrun_job_result(res%ptr, job%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_result

  subroutine xrun_result_free(res)
    type(xrun_result), intent(inout) :: res
    call c_xrun_result_free(res%ptr)
    res%ptr = c_null_ptr
  end subroutine xrun_result_free

  subroutine xrun_result_json(res, json, stat, errmsg)
    type(xrun_result), intent(in) :: res
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_result_json(out, res%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_result_json

  !> A number by its JSON key ("total_energy_ev"); stat = XRUN_E_NOT_FOUND
  !> if the output did not print it.
  subroutine xrun_result_double(res, key, value, stat, errmsg)
    type(xrun_result), intent(in) :: res
    character(len=*), intent(in) :: key
    real(c_double), intent(out) :: value
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    value = 0
    status = c_xrun_result_double(res%ptr, c_string(key), value)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_result_double

  function xrun_result_code(res) result(s)
    type(xrun_result), intent(in) :: res
    character(len=:), allocatable :: s
    s = f_string(c_xrun_result_code(res%ptr))
  end function xrun_result_code

  function xrun_result_diagnosis(res) result(s)
    type(xrun_result), intent(in) :: res
    character(len=:), allocatable :: s
    s = f_string(c_xrun_result_diagnosis(res%ptr))
  end function xrun_result_diagnosis

  integer(c_int64_t) function xrun_result_diagnosis_line(res)
    type(xrun_result), intent(in) :: res
    xrun_result_diagnosis_line = c_xrun_result_diagnosis_line(res%ptr)
  end function xrun_result_diagnosis_line

  function xrun_result_diagnosis_text(res) result(s)
    type(xrun_result), intent(in) :: res
    character(len=:), allocatable :: s
    s = f_string(c_xrun_result_diagnosis_text(res%ptr))
  end function xrun_result_diagnosis_text

  !> An array by its JSON key, flat in the C order (row-major):
  !> "final_positions_angstrom" / "final_forces_ev_per_angstrom" 3*N values
  !> (x y z of atom 1, then atom 2, ...), "final_cell_angstrom" /
  !> "final_stress_kbar" 9, "ionic_energies_ev" one per ionic step.
  !> stat = XRUN_E_NOT_FOUND (values allocated empty) if not printed.
  subroutine xrun_result_array(res, key, values, stat, errmsg)
    type(xrun_result), intent(in) :: res
    character(len=*), intent(in) :: key
    real(c_double), allocatable, target, intent(out) :: values(:)
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    integer(c_size_t) :: n, capacity
    n = 0
    status = c_xrun_result_array(res%ptr, c_string(key), c_null_ptr, 0_c_size_t, n)
    if (status == XRUN_OK) then
       capacity = n
       allocate (values(max(capacity, 1_c_size_t)))
       status = c_xrun_result_array(res%ptr, c_string(key), c_loc(values), capacity, n)
       values = values(1:n)
    else
       allocate (values(0))
    end if
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_result_array

  !> An N x 3 or 3 x 3 array as rows(3, N): rows(:, i) is row i (atom i's
  !> x y z, or lattice vector i), Fortran's column order for C's rows.
  subroutine xrun_result_rows(res, key, rows, stat, errmsg)
    type(xrun_result), intent(in) :: res
    character(len=*), intent(in) :: key
    real(c_double), allocatable, intent(out) :: rows(:, :)
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    real(c_double), allocatable :: flat(:)
    integer :: status
    character(len=:), allocatable :: msg
    call xrun_result_array(res, key, flat, status, msg)
    rows = reshape(flat, [3, size(flat) / 3])
    if (present(errmsg)) errmsg = msg
    if (present(stat)) then
       stat = status
    else if (status /= XRUN_OK) then
       call report(int(status, c_int))
    end if
  end subroutine xrun_result_rows

  !> The index-th (1-based) string of a string array: key "species" gives
  !> atom index's element (pw.x: label); "" if there is none.
  function xrun_result_string_at(res, key, index) result(s)
    type(xrun_result), intent(in) :: res
    character(len=*), intent(in) :: key
    integer, intent(in) :: index
    character(len=:), allocatable :: s
    if (index < 1) then
       s = ""
       return
    end if
    s = f_string(c_xrun_result_string_at(res%ptr, c_string(key), int(index - 1, c_size_t)))
  end function xrun_result_string_at

  ! ---- job specs built field by field (no JSON) ------------------------------

  !> Create an empty job spec (free it with xrun_spec_free). Fill it with
  !> the xrun_spec_* setters, then submit it with xrun_job_submit_spec.
  !> Each setter checks its value at once (stat XRUN_E_INVALID, errmsg
  !> naming the field, e.g. "$.resources.walltime"); a refused value leaves
  !> the spec as it was. Every string arrives in the job unchanged.
  subroutine xrun_spec_new(spec, stat, errmsg)
    type(xrun_spec), intent(out) :: spec
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_new(spec%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_new

  !> Release the spec (jobs submitted from it do not need it).
  subroutine xrun_spec_free(spec)
    type(xrun_spec), intent(inout) :: spec
    call c_xrun_spec_free(spec%ptr)
    spec%ptr = c_null_ptr
  end subroutine xrun_spec_free

  !> The job's name (free text).
  subroutine xrun_spec_set_name(spec, name, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: name
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_name(spec%ptr, c_string(name))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_name

  !> The machine to run on (checked at submit).
  subroutine xrun_spec_set_machine(spec, machine, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: machine
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_machine(spec%ptr, c_string(machine))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_machine

  !> The shell command line (either a command or arguments).
  subroutine xrun_spec_set_command(spec, command, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: command
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_command(spec%ptr, c_string(command))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_command

  !> Append one argument to argv; it arrives unchanged.
  subroutine xrun_spec_add_arg(spec, arg, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: arg
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_add_arg(spec%ptr, c_string(arg))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_add_arg

  !> Run in this directory on the machine.
  subroutine xrun_spec_set_workdir(spec, workdir, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: workdir
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_workdir(spec%ptr, c_string(workdir))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_workdir

  !> Append a local path copied into the job directory.
  subroutine xrun_spec_add_upload(spec, path, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: path
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_add_upload(spec%ptr, c_string(path))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_add_upload

  !> Append a job-directory file copied back at the end.
  subroutine xrun_spec_add_retrieve(spec, name, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: name
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_add_retrieve(spec%ptr, c_string(name))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_add_retrieve

  !> The local directory retrieved files go to.
  subroutine xrun_spec_set_retrieve_to(spec, dir, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: dir
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_retrieve_to(spec%ptr, c_string(dir))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_retrieve_to

  !> "qe", "vasp", "crystal" or "auto".
  subroutine xrun_spec_set_parser(spec, parser, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: parser
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_parser(spec%ptr, c_string(parser))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_parser

  !> The job-directory file the parser reads.
  subroutine xrun_spec_set_parse_file(spec, name, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: name
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_parse_file(spec%ptr, c_string(name))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_parse_file

  !> Append an xrun job id this job starts after.
  subroutine xrun_spec_add_dependency(spec, job_id, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: job_id
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_add_dependency(spec%ptr, c_string(job_id))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_add_dependency

  !> "keep", "on_success" or "always".
  subroutine xrun_spec_set_cleanup(spec, policy, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: policy
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_cleanup(spec%ptr, c_string(policy))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_cleanup

  !> A job array range such as "0-9".
  subroutine xrun_spec_set_array(spec, range, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: range
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_array(spec%ptr, c_string(range))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_array

  !> Set an environment variable of the job (replaces an earlier value).
  subroutine xrun_spec_set_env(spec, name, value, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: name, value
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_env(spec%ptr, c_string(name), c_string(value))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_env

  !> A resource from text: "64G" (memory), "01:00:00" (walltime), a word
  !> (partition, account, qos) or a count ("2").
  subroutine spec_set_resource_text(spec, key, value, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: key, value
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_resource(spec%ptr, c_string(key), c_string(value))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine spec_set_resource_text

  !> A count resource (nodes, tasks_per_node, cpus_per_task) from a number.
  subroutine spec_set_resource_i64(spec, key, value, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: key
    integer(c_int64_t), intent(in) :: value
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_resource_int(spec%ptr, c_string(key), value)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine spec_set_resource_i64

  subroutine spec_set_resource_i32(spec, key, value, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: key
    integer(c_int32_t), intent(in) :: value
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_resource_int(spec%ptr, c_string(key), int(value, c_int64_t))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine spec_set_resource_i32

  !> "hold" (submit held; batch schedulers), "defer" (record only: the
  !> next poll round sends it) or "cache" (an identical completed job
  !> answers it).
  subroutine xrun_spec_set_flag(spec, flag, value, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=*), intent(in) :: flag
    logical, intent(in) :: value
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_spec_set_flag(spec%ptr, c_string(flag), merge(1_c_int, 0_c_int, value))
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_set_flag

  !> The spec as the JSON text xrun_job_submit takes (to log it).
  subroutine xrun_spec_to_json(spec, json, stat, errmsg)
    type(xrun_spec), intent(in) :: spec
    character(len=:), allocatable, intent(out) :: json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: out
    integer(c_int) :: status
    status = c_xrun_spec_to_json(out, spec%ptr)
    json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_spec_to_json

  !> Submit a job from a spec, like xrun_job_submit_v2: `job` is set
  !> whenever the job was recorded, also when its send failed. The spec is
  !> unchanged: submit it again for another job, or free it.
  subroutine xrun_job_submit_spec(job, ctx, spec, stat, errmsg)
    type(xrun_job), intent(out) :: job
    type(xrun_ctx), intent(in) :: ctx
    type(xrun_spec), intent(in) :: spec
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    integer(c_int) :: status
    status = c_xrun_job_submit_spec(job%ptr, ctx%ptr, spec%ptr)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_job_submit_spec

  !> Submit several specs at once (one command per machine): every spec is
  !> checked first and one bad spec refuses them all (errmsg names its
  !> 0-based index: "job 2: ..."). `results_json` is the JSON array of
  !> outcomes in input order: id, state, scheduler_id, and error for a job
  !> that was not sent.
  subroutine xrun_jobs_submit_specs(ctx, specs, results_json, stat, errmsg)
    type(xrun_ctx), intent(in) :: ctx
    type(xrun_spec), intent(in) :: specs(:)
    character(len=:), allocatable, intent(out) :: results_json
    integer, intent(out), optional :: stat
    character(len=:), allocatable, intent(out), optional :: errmsg
    type(c_ptr) :: pointers(max(1, size(specs)))
    type(c_ptr) :: out
    integer(c_int) :: status
    integer :: i
    pointers = c_null_ptr
    do i = 1, size(specs)
       pointers(i) = specs(i)%ptr
    end do
    status = c_xrun_jobs_submit_specs(out, ctx%ptr, pointers, int(size(specs), c_size_t))
    results_json = take_string(out)
    if (present(errmsg)) call status_message(status, errmsg)
    call report(status, stat)
  end subroutine xrun_jobs_submit_specs

  logical function spec_is_open(h)
    type(xrun_spec), intent(in) :: h
    spec_is_open = c_associated(h%ptr)
  end function spec_is_open

end module xrun
