/*
 * xrun.h -- the one public header of xrun, an embeddable job-execution
 * library: submit, poll, cancel and collect jobs on the local host and on
 * remote HPC clusters, and parse the outputs of electronic-structure codes.
 *
 * CONVENTIONS
 *
 *  - Every fallible function returns an xrun_status; XRUN_OK (0) is success.
 *    The message of the last failure on the calling thread is
 *    xrun_last_error(); it is never NULL. xrun_status_name() names a code.
 *  - Handles are opaque. Each has exactly one release function
 *    (xrun_ctx_close, xrun_job_free, ...); releasing NULL is a no-op.
 *  - Output parameters come first and are named `out`. On failure an output
 *    pointer is set to NULL (or left at 0 for numbers).
 *  - Strings in are UTF-8, NUL-terminated and copied: the caller may free
 *    them as soon as the call returns. Strings out are either BORROWED
 *    (owned by a handle, valid until the handle is freed or, where said,
 *    until the next call that changes it) or OWNED (released with
 *    xrun_free()). Every function says which.
 *  - Rich data crosses as JSON text; everything a caller needs to drive jobs
 *    (state, exit code, scheduler id, a result's numbers) also has a typed
 *    accessor, so that Fortran and C callers never have to parse JSON.
 *  - Nothing is printed to stdout or stderr. Log lines go to the callback in
 *    xrun_options.
 *  - A job that FAILED is not a call that failed: refreshing a job whose
 *    run died returns XRUN_OK and the job carries the state, exit code and
 *    reason.
 *
 * THREADS
 *
 *  All functions may be called from several threads at once on one context
 *  and on handles derived from it; the context serialises what it must.
 *  A single xrun_job or xrun_result handle may be shared between threads,
 *  but BORROWED strings read from it may be invalidated by a concurrent
 *  xrun_job_refresh()/xrun_job_wait() on the same handle: a thread that
 *  shares a job handle should copy strings it keeps. xrun_last_error() is
 *  per thread.
 *
 *  xrun's own threads: per context that has used an SSH machine, one that
 *  closes idle SSH connections, and one I/O thread per open SSH connection
 *  (it alone drives that connection: every thread's commands to the
 *  machine share it, a channel each). All end when the context is
 *  destroyed; none calls into your code except the log callback.
 *
 * LIFETIME
 *
 *  Jobs and machines opened from a context keep it alive: xrun_ctx_close()
 *  on a context with live handles only drops the caller's reference; the
 *  context is destroyed when its last handle is freed. Closing a context
 *  never cancels jobs: they run on and can be reopened by id from another
 *  context or process (they live in the store).
 */
#ifndef XRUN_H
#define XRUN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(XRUN_STATIC)
#  define XRUN_API
#elif defined(__GNUC__) || defined(__clang__)
#  define XRUN_API __attribute__((visibility("default")))
#else
#  define XRUN_API
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                  */
/* ------------------------------------------------------------------------ */

/** The major version of this header. */
#define XRUN_VERSION_MAJOR 0
/** The minor version of this header. */
#define XRUN_VERSION_MINOR 1
/** The patch version of this header. */
#define XRUN_VERSION_PATCH 0
/** This header's version as text, "MAJOR.MINOR.PATCH"; compare with
 *  xrun_version(). */
#define XRUN_VERSION_STRING "0.1.0"
/** MAJOR*10000 + MINOR*100 + PATCH; compare with xrun_version_number(). */
#define XRUN_VERSION_NUMBER \
    (XRUN_VERSION_MAJOR * 10000 + XRUN_VERSION_MINOR * 100 + XRUN_VERSION_PATCH)

/** The library's version string (static storage). Thread-safe.
 *  @return the version of the library (not of the header), as
 *          XRUN_VERSION_STRING; static storage, never freed.
 *          No status code: never fails. */
XRUN_API const char *xrun_version(void);
/** The library's XRUN_VERSION_NUMBER, to check header and library agree.
 *  @return MAJOR*10000 + MINOR*100 + PATCH of the library.
 *          No status code: never fails. */
XRUN_API int xrun_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status codes. Values are fixed forever; new codes are only appended.     */
/* ------------------------------------------------------------------------ */

/** The status every fallible function returns; XRUN_OK is success. The
 *  message of a failure is xrun_last_error(), its name xrun_status_name().
 *  Values are fixed forever; new codes are only appended. */
typedef enum xrun_status {
    XRUN_OK = 0,             /**< success */
    XRUN_E_INVALID = 1,      /**< an argument is NULL, malformed or out of range */
    XRUN_E_CONFIG = 2,       /**< machine configuration is invalid */
    XRUN_E_NOT_FOUND = 3,    /**< no such job, machine, file or result key */
    XRUN_E_STATE = 4,        /**< not allowed in the job's current state */
    XRUN_E_STORE = 5,        /**< the job store (SQLite, PostgreSQL) failed */
    XRUN_E_IO = 6,           /**< a local file operation failed */
    XRUN_E_TRANSPORT = 7,    /**< connecting or talking to a host failed */
    XRUN_E_AUTH = 8,         /**< authentication was refused */
    XRUN_E_HOSTKEY = 9,      /**< host key unknown or changed */
    XRUN_E_SCHEDULER = 10,   /**< the scheduler refused a command */
    XRUN_E_TIMEOUT = 11,     /**< a wait or a command ran out of time */
    XRUN_E_PARSE = 12,       /**< an output could not be parsed at all */
    XRUN_E_NOMEM = 13,       /**< out of memory */
    XRUN_E_UNSUPPORTED = 14, /**< not supported by this machine/scheduler */
    XRUN_E_INTERNAL = 15,    /**< a bug in xrun: please report it */
    XRUN_E_INTERRUPTED = 16  /**< a blocking call was ended by xrun_ctx_interrupt() */
} xrun_status;

/** A static, stable name for a status. Thread-safe.
 *  @param status  a status code (any int)
 *  @return its name ("XRUN_E_TIMEOUT"), static storage; "XRUN_E_UNKNOWN"
 *          for values this library does not know. Never NULL.
 *          No status code: never fails. */
XRUN_API const char *xrun_status_name(int status);

/** The message of the last failed call on this thread.
 *  @return the message, BORROWED: valid until the next xrun call on this
 *          thread. Never NULL ("" if none). No status code: never fails. */
XRUN_API const char *xrun_last_error(void);

/** The status of the last failed call on this thread.
 *  Any thread (each reads its own value).
 *  @return that status, XRUN_OK if none. No status code: never fails. */
XRUN_API int xrun_last_status(void);

/** Release a string or buffer the library returned as OWNED. Thread-safe.
 *  No status code: never fails.
 *  @param ptr  the OWNED string or buffer; NULL is a no-op */
XRUN_API void xrun_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Job states. Values are fixed forever; new states are only appended.     */
/* ------------------------------------------------------------------------ */

/** The state of a job (xrun_job_state(), xrun_events_state()); which ones
 *  are final says xrun_state_is_terminal(). Values are fixed forever; new
 *  states are only appended. */
typedef enum xrun_state {
    XRUN_STATE_CREATED = 0,       /**< recorded in the store, not yet sent */
    XRUN_STATE_SUBMITTING = 1,    /**< being sent; reconciled after a crash */
    XRUN_STATE_SUBMITTED = 2,     /**< accepted by the scheduler */
    XRUN_STATE_QUEUED = 3,        /**< waiting for resources */
    XRUN_STATE_HELD = 4,          /**< held by user or system */
    XRUN_STATE_RUNNING = 5,       /**< started, not ended yet */
    XRUN_STATE_COMPLETED = 6,     /**< evidence says exit code 0 */
    XRUN_STATE_FAILED = 7,        /**< non-zero exit, launch failure, or a
                                     failed diagnosis of its output */
    XRUN_STATE_CANCELLED = 8,     /**< cancelled before it ended */
    XRUN_STATE_TIMEOUT = 9,       /**< walltime exceeded */
    XRUN_STATE_OUT_OF_MEMORY = 10, /**< killed for exceeding its memory */
    XRUN_STATE_NODE_FAIL = 11,    /**< node failure, boot failure */
    XRUN_STATE_PREEMPTED = 12,    /**< preempted by the scheduler */
    XRUN_STATE_LOST = 13,         /**< no scheduler record and no exit record */
    XRUN_STATE_WAITING = 14       /**< recorded, not sent yet: xrun sends it by
                                     itself in a later poll round once what it
                                     waits for is there ("waiting_for" in its
                                     info: room, connection, dependencies,
                                     retry_backoff, or deferred) */
} xrun_state;

/** The name of a state. Thread-safe.
 *  @param state  a state (any int)
 *  @return "created", "running", ... (static storage); "unknown" if out of
 *          range. No status code: never fails. */
XRUN_API const char *xrun_state_name(int state);
/** Whether a state is final. Thread-safe.
 *  @param state  a state (any int)
 *  @return 1 if no further transition can happen from `state`, else 0.
 *          No status code: never fails. */
XRUN_API int xrun_state_is_terminal(int state);

/* ------------------------------------------------------------------------ */
/* Options and the context                                                  */
/* ------------------------------------------------------------------------ */

/** The level of a log line (the `level` of xrun_log_fn), most severe
 *  first; xrun_options.log_level is the highest one passed to the callback. */
typedef enum xrun_log_level {
    XRUN_LOG_ERROR = 0,  /**< errors */
    XRUN_LOG_WARN = 1,   /**< warnings (the level of XRUN_OPTIONS_INIT) */
    XRUN_LOG_INFO = 2,   /**< information */
    XRUN_LOG_DEBUG = 3   /**< debugging detail */
} xrun_log_level;

/** Log callback. `message` is BORROWED for the call. It is called on the
 *  thread of the xrun call that logs (any thread that uses the context),
 *  AND on xrun's own threads (see THREADS: the one that closes idle SSH
 *  connections, and the I/O thread of each SSH connection, which keeps it
 *  alive; they exist until the context is destroyed) -- so possibly on a
 *  thread your program did not create, and from several threads at once. It is never
 *  called after the context is destroyed. Must not call back into xrun.
 *  Secrets are never part of a message. */
typedef void (*xrun_log_fn)(int level, const char *message, void *payload);

/** Secret prompt callback: asked for a key passphrase (kind "passphrase"),
 *  a password (kind "password") or a keyboard-interactive answer (kind
 *  "kbdint", e.g. a one-time password). `prompt` is the server's or key's
 *  text; `echo` is 1 if the answer may be shown. Write a NUL-terminated
 *  answer of at most `answer_size` bytes (NUL included) into `answer` and
 *  return 0, or return non-zero to refuse (the call then fails with
 *  XRUN_E_AUTH). The answer is used once and wiped; it is never stored. */
typedef int (*xrun_prompt_fn)(const char *kind, const char *machine,
                              const char *prompt, int echo, char *answer,
                              size_t answer_size, void *payload);

/** The version of xrun_options this header declares (its `version`). */
#define XRUN_OPTIONS_VERSION 2

/** Options of xrun_ctx_open() and xrun_ctx_open_read_only(). Start from
 *  XRUN_OPTIONS_INIT or xrun_options_init(); the `version` field says
 *  which fields the caller's struct has. */
typedef struct xrun_options {
    unsigned int version;      /**< XRUN_OPTIONS_VERSION */
    const char *home;          /**< NULL: $XRUN_HOME, else ~/.xrun */
    const char *store_path;    /**< NULL: see store_url */
    xrun_log_fn log;           /**< NULL: no logging */
    int log_level;             /**< highest xrun_log_level passed to `log` */
    void *log_payload;         /**< passed to `log` as its `payload` */
    xrun_prompt_fn prompt;     /**< NULL: secrets cannot be asked for */
    void *prompt_payload;      /**< passed to `prompt` as its `payload` */
    /** Version 2. Where the job store is: a SQLite file path, or a
     *  PostgreSQL URL ("postgresql://user@host:port/db") for a store shared
     *  by several hosts or a group. NULL: store_path, else $XRUN_STORE (a
     *  path or a URL), else `<home>/xrun.db`. A password in the URL is never
     *  logged or stored, but is better kept in ~/.pgpass or $PGPASSFILE,
     *  which libpq reads. BORROWED for the call to xrun_ctx_open only. */
    const char *store_url;
} xrun_options;

/** Initialiser of xrun_options with the defaults: this header's
 *  XRUN_OPTIONS_VERSION, log level XRUN_LOG_WARN, every other field NULL. */
#define XRUN_OPTIONS_INIT { XRUN_OPTIONS_VERSION, NULL, NULL, NULL, XRUN_LOG_WARN, NULL, NULL, NULL, NULL }

/** Fill `opts` with defaults for `version` (for callers that cannot use
 *  XRUN_OPTIONS_INIT). Every version from 1 to XRUN_OPTIONS_VERSION is
 *  accepted: a caller built against an older header passes its own
 *  version, and only the fields that version has are written (its struct
 *  may be smaller). xrun_ctx_open() likewise reads only the fields of
 *  `opts->version`. Never blocks; any thread.
 *  @param opts     the caller's options (BORROWED), filled in
 *  @param version  the XRUN_OPTIONS_VERSION the caller was built with
 *  @return XRUN_OK, XRUN_E_INVALID (NULL, 0, or a version newer than this
 *          library knows). */
XRUN_API int xrun_options_init(xrun_options *opts, unsigned int version);

/** A context: the machine configuration, the job store and the connections
 *  to machines. Opened by xrun_ctx_open() or xrun_ctx_open_read_only(),
 *  released by xrun_ctx_close() (see LIFETIME at the top of xrun.h). */
typedef struct xrun_ctx xrun_ctx;

/** Open a context: reads the machine configuration (strictly; a bad file
 *  fails with XRUN_E_CONFIG naming file, JSON path and key) and opens or
 *  creates the job store (XRUN_E_STORE), migrating its schema.
 *  Creates `<home>` (mode 0700) if missing. Connects to no machine; a
 *  PostgreSQL store is connected to here (XRUN_E_STORE when the server is
 *  unreachable -- after at most 10 s unless the URL sets connect_timeout
 *  --, refuses the credentials, or holds a newer schema).
 *  @param out   set to the new context (OWNED: xrun_ctx_close), NULL on
 *               failure
 *  @param opts  the options (BORROWED; strings are copied); may be NULL for
 *               defaults
 *  @return XRUN_OK, XRUN_E_INVALID, XRUN_E_CONFIG, XRUN_E_STORE. */
XRUN_API int xrun_ctx_open(xrun_ctx **out, const xrun_options *opts);

/** Open a context that only READS the store: for listing jobs and events
 *  (xrun list / events) beside other processes that write.
 *  The store is opened read-only: no lock is taken, a writer holding the
 *  store does not delay it, and a store file without write permission
 *  opens. A broken machine configuration does not fail the open: the error
 *  (naming the file) goes to the log callback at XRUN_LOG_WARN, and calls
 *  that need a machine fail with XRUN_E_CONFIG. Every call that changes a
 *  job (submit, poll, cancel, wait on an active job, hold, prune, ...)
 *  fails with XRUN_E_STORE ("attempt to write a readonly database"; on a
 *  PostgreSQL store the server's "read-only transaction" refusal: the
 *  session is read-only and the schema is never created or migrated).
 *  Blocks: at most for the store's busy timeout while it is being created
 *  by another process (PostgreSQL: the connect timeout).
 *  Threads: as xrun_ctx_open().
 *  @param out   set to the new context (OWNED: xrun_ctx_close), NULL on
 *               failure
 *  @param opts  as for xrun_ctx_open() (may be NULL)
 *  @return XRUN_OK, XRUN_E_INVALID (out is NULL or a bad opts->version),
 *          XRUN_E_NOT_FOUND (no store at the path yet, or no xrun schema
 *          in the PostgreSQL database), XRUN_E_STORE (the file or server
 *          cannot be opened, or its schema needs migrating: open it once
 *          with xrun_ctx_open()) */
XRUN_API int xrun_ctx_open_read_only(xrun_ctx **out, const xrun_options *opts);

/** Drop the caller's reference (see LIFETIME). Open connections are closed
 *  when the context is finally destroyed.
 *  No status code: never fails. Blocks only while the last reference closes its SSH sessions.
 *  @param ctx  the caller's reference (OWNED, released); NULL is a no-op */
XRUN_API void xrun_ctx_close(xrun_ctx *ctx);

/** The resolved home directory.
 *  @param ctx  the context (BORROWED)
 *  @return the directory, BORROWED, valid for the context's life.
 *          No status code: "" for a NULL ctx. */
XRUN_API const char *xrun_ctx_home(xrun_ctx *ctx);
/** The resolved store path: a file, or the URL of a PostgreSQL store
 *  without its password.
 *  @param ctx  the context (BORROWED)
 *  @return the path, BORROWED, valid for the context's life.
 *          No status code: "" for a NULL ctx. */
XRUN_API const char *xrun_ctx_store_path(xrun_ctx *ctx);

/** Interrupt the calls of `ctx` that are blocking right now.
 *  Ends every xrun_job_wait(), xrun_poll() and xrun_events_wait() on this
 *  context (and on jobs opened from it) that is blocked when it is called:
 *  each returns XRUN_E_INTERRUPTED. A wait or events wait returns at once;
 *  a poll (or a wait inside a poll round) first finishes the scheduler
 *  query in progress (bounded by the machine's command_timeout) and
 *  returns before starting the next machine. Calls that START after this
 *  one returns are not affected (as with sqlite3_interrupt): to stop a
 *  loop, set your own flag and then interrupt.
 *  Blocks: never (takes a lock briefly).  Threads: any thread, including
 *  a signal-handling thread (not an async signal handler itself).
 *  @param ctx  the context (BORROWED); NULL is refused
 *  @return XRUN_OK, XRUN_E_INVALID (ctx is NULL) */
XRUN_API int xrun_ctx_interrupt(xrun_ctx *ctx);

/** Describe the context's job store as JSON.
 *  {"backend": "sqlite"|"postgresql", "location": (the store path; a URL
 *  without its password), "schema_version": N, "schema_version_at_open": M
 *  (before this context migrated it: opening a context migrates the store,
 *  so M < N means this open did it), "latest_schema_version": L (what this
 *  library knows), "jobs": count, "last_event_seq": seq}.
 *  Blocks: one or two store reads.  Threads: any.
 *  @param out_json  set to the JSON text, OWNED by the caller: release with
 *                   xrun_free(); NULL on failure
 *  @param ctx       the context (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (a NULL argument), XRUN_E_STORE */
XRUN_API int xrun_store_info_json(char **out_json, xrun_ctx *ctx);

/** A retry in the making, handed to an xrun_retry_fn for the duration of
 *  the call only (never keep it). */
typedef struct xrun_retry xrun_retry;

/** A caller's own corrections for jobs whose spec says
 *  "corrections": "callback" and whose retry policy ("retry") retries the
 *  attempt that just ended. Called by the poll round that finishes the
 *  attempt, on the polling thread, before the job goes back to waiting.
 *  @param retry      the retry (BORROWED for the call): xrun_retry_set_spec()
 *                    replaces the next attempt's spec
 *  @param job_id     the xrun job (BORROWED for the call)
 *  @param attempt    the attempt that ended (1 = the first)
 *  @param outcome    what the policy matched: a scheduler outcome
 *                    ("timeout", "node_fail", "preempted", "lost",
 *                    "out_of_memory", "failed") or a diagnosis code
 *                    ("scf_not_converged", ...) (BORROWED for the call)
 *  @param diagnosis  the parser's diagnosis of the attempt, "" if none
 *                    (BORROWED for the call)
 *  @param spec_json  the next attempt's spec as the policy made it
 *                    (walltime/memory scaled, env merged, restart_command
 *                    as its command; BORROWED for the call)
 *  @param payload    the pointer given to xrun_set_retry_callback()
 *  @return 0 to retry (with the spec set by xrun_retry_set_spec(), else the
 *          policy's), any other value to stop: the attempt's end is then
 *          recorded as the job's end. */
typedef int (*xrun_retry_fn)(xrun_retry *retry, const char *job_id, int64_t attempt, const char *outcome,
                             const char *diagnosis, const char *spec_json, void *payload);

/** Set (or, with fn NULL, clear) the context's retry callback.
 *  PROCESS-LOCAL: it is a function of this process; nothing of it is
 *  stored. A job's policy names a callback only by "corrections":
 *  "callback". When a process WITHOUT a callback (another program, `xrun
 *  poll`, or this one before setting it) finishes an attempt of such a job,
 *  the job is retried all the same, with the policy's own changes only
 *  (scale, env, restart_command, no callback and no built-in
 *  corrections); the attempt records "callback: none set in this process,
 *  retried with the policy alone". It never waits for a process that has
 *  the callback: a campaign polled by any process reaches its end.
 *  Replaces any earlier callback; calls in progress finish with the old one.
 *  Blocks: never.  Threads: any; the callback itself runs on whichever
 *  thread polls (xrun_poll, xrun_job_wait), possibly several at once for
 *  different jobs, so it must be thread-safe.
 *  @param ctx      the context (BORROWED)
 *  @param fn       the callback, or NULL for none
 *  @param payload  passed to fn as is (BORROWED: it must outlive the
 *                  context or the next xrun_set_retry_callback())
 *  @return XRUN_OK, XRUN_E_INVALID (ctx is NULL) */
XRUN_API int xrun_set_retry_callback(xrun_ctx *ctx, xrun_retry_fn fn, void *payload);

/** Replace the next attempt's spec, from inside an xrun_retry_fn. The JSON
 *  is checked as a submitted spec is; a spec that is refused leaves the
 *  policy's spec in force (the attempt records why). xrun keeps the
 *  attempt number and the machine: a retry runs where the job ran.
 *  Blocks: never.  Threads: the callback's own thread.
 *  @param retry      the retry given to the callback (BORROWED)
 *  @param spec_json  the whole job spec, JSON (copied)
 *  @return XRUN_OK, XRUN_E_INVALID (a NULL argument) */
XRUN_API int xrun_retry_set_spec(xrun_retry *retry, const char *spec_json);

/* ------------------------------------------------------------------------ */
/* Machines                                                                 */
/* ------------------------------------------------------------------------ */

/** The configured machines.
 *  @param out_json  set to an OWNED JSON text (release with xrun_free):
 *                   {"default": "NAME", "machines": [{"name":..,
 *                   "execution":..,"scheduler":.., "host":..,
 *                   "source": FILE}, ...]}
 *  @param ctx       the context (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_machines_list(char **out_json, xrun_ctx *ctx);

/** The default machine's name.
 *  @param out_name  set to the name, OWNED (release with xrun_free)
 *  @param ctx       the context (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_machines_default(char **out_name, xrun_ctx *ctx);

/** A configured machine, opened by name with xrun_machine_open() and
 *  released with xrun_machine_free(). */
typedef struct xrun_machine xrun_machine;

/** Open a machine by name. Does not connect.
 *  @param out   set to the machine (OWNED: xrun_machine_free)
 *  @param ctx   the context (BORROWED)
 *  @param name  the machine's name; NULL or "" for the default
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument), XRUN_E_NOT_FOUND (there
 *          is no such machine). */
XRUN_API int xrun_machine_open(xrun_machine **out, xrun_ctx *ctx, const char *name);
/** Release a machine handle. No status code: never fails.
 *  @param machine  the handle (OWNED, released); NULL is a no-op */
XRUN_API void xrun_machine_free(xrun_machine *machine);
/** The machine's name.
 *  @param machine  the machine (BORROWED)
 *  @return the name, BORROWED for the handle's life.
 *          No status code: "" for NULL. */
XRUN_API const char *xrun_machine_name(xrun_machine *machine);
/** The machine's full, resolved configuration.
 *  @param out_json  set to the configuration, OWNED JSON (release with
 *                   xrun_free)
 *  @param machine   the machine (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_machine_json(char **out_json, xrun_machine *machine);

/** Check a machine step by step (resolve, connect, host key, authenticate,
 *  run a command, a shell probe -- commands run under /bin/sh whatever the
 *  login shell, and nothing prints before their output --, SFTP, workdir
 *  writable, scheduler commands present), each with its time. Blocks (bounded by the machine's timeouts).
 *  @param out_report  set to an OWNED JSON text (release with xrun_free)
 *                     {"machine":..,"ok":bool,"steps":[{"step":..,"ok":..,
 *                     "ms":..,"detail":..}]}, set even when a step fails
 *  @param machine     the machine (BORROWED)
 *  @return XRUN_OK, or the status of the first failing step
 *          (XRUN_E_TRANSPORT, XRUN_E_HOSTKEY, XRUN_E_AUTH, XRUN_E_IO,
 *          XRUN_E_SCHEDULER); XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_machine_check(char **out_report, xrun_machine *machine);

/** Connection counters of the machine's transport. All 0 for local
 *  machines.
 *  @param out_json  set to an OWNED JSON text (release with xrun_free):
 *                   {"sessions_open":n,"sessions_opened":n,"handshakes":n,
 *                   "auths":n,"commands":n,"reconnects":n,"transfers":n,
 *                   "bulk_fetches":n,"channels_peak":n,"channels_refused":n,
 *                   "channel_limit":n}; channels_* count the commands
 *                   multiplexed on one SSH session (channel_limit: the
 *                   server's MaxSessions as learnt from its first refusal,
 *                   0 when none was seen)
 *  @param machine   the machine (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_machine_stats(char **out_json, xrun_machine *machine);

/* ------------------------------------------------------------------------ */
/* Jobs                                                                     */
/* ------------------------------------------------------------------------ */

/** A job handle: a snapshot of one job of the store, updated by
 *  xrun_job_refresh() and xrun_job_wait() (see THREADS at the top of
 *  xrun.h). Opened by xrun_job_submit(), xrun_job_submit_v2(),
 *  xrun_job_submit_command() or xrun_job_open(), released by xrun_job_free().
 *  Freeing it does not cancel the job. */
typedef struct xrun_job xrun_job;

/** Submit a job from a JSON spec (`spec_json`):
 *  @code{.unparsed}
 *  {"name": "si-scf",                 optional, free text
 *   "machine": "cluster1",            optional, default machine; or a group
 *                                     of the machines file, or a list of
 *                                     machines ["c1","c2"]: one is chosen
 *   "strategy": "least_busy",         with several machines: "least_busy",
 *                                     "round_robin" or "first_reachable";
 *                                     the choice and why are in the job's
 *                                     info ("machine_choice")
 *   "command": "pw.x -in si.in",      a shell command line, OR
 *   "argv": ["pw.x","-in","si.in"],   arguments, each quoted for the shell
 *   "workdir": "...",                 optional: run here instead of the
 *                                     job's own directory
 *   "env": {"K": "V"},
 *   "resources": {"nodes":1,"tasks_per_node":4,"cpus_per_task":1,
 *                 "memory":"4G","walltime":"01:00:00","partition":"..",
 *                 "account":"..","qos":".."},
 *   "upload": ["local/path", ...],     copied into the job directory
 *   "retrieve": ["pw.out", ...],       copied back when the job ends
 *   "parser": "qe"|"vasp"|"crystal"|"auto",  applied to "parse_file"
 *   "parse_file": "pw.out",           default: the job's stdout
 *   "depends_on": ["XRUN-ID",          start after these completed
 *     {"job": "XRUN-ID", "type": "afterok"|"afternotok"|"afterany"}],
 *                                     parents on any machine; one the
 *                                     scheduler cannot wait for is held
 *                                     by xrun (state waiting, waiting_for
 *                                     "dependencies") and sent by a poll
 *                                     round once its condition holds; a
 *                                     condition that can no longer hold
 *                                     ends the job cancelled, naming the
 *                                     parent. In a batch also "@name" or
 *                                     "@index" of a member
 *   "hold": false,
 *   "defer": false,                    true: only record it (state waiting,
 *                                     waiting_for "deferred") and return at
 *                                     once; the next poll round of its
 *                                     machine sends it, batched with others
 *   "cache": false,                    true: an identical job (same
 *                                     command/argv, env, uploads' contents,
 *                                     machine, resources) that completed
 *                                     answers it: it ends completed at once,
 *                                     "cached_from" naming that job, with
 *                                     its exit code and result; else it runs
 *   "cleanup": "keep"|"on_success"|"always",
 *   "fail_fast": false,                in a batch: its first failure
 *                                     cancels its jobs not started yet
 *   "array": "0-9"}                    a job array (batch schedulers): one
 *                                     submission, each task a job of its
 *                                     own; `*out` is the first task, the
 *                                     others list it as "array_parent"
 *  @endcode
 *  Unknown keys are refused with the closest known key suggested.
 *  The job is written to the store before anything is sent. Blocks while
 *  the job is sent to its machine (connecting if needed). If the
 *  scheduler refuses it for a per-user cap (e.g. Slurm's
 *  QOSMaxSubmitJobPerUserLimit), XRUN_OK is returned and the job waits in
 *  state waiting ("waiting_for": "room" in its info); poll rounds send it
 *  when room frees up.
 *  @param out        set to the job (OWNED: xrun_job_free); NULL on failure
 *  @param ctx        the context (BORROWED)
 *  @param spec_json  the job spec above (copied)
 *  @return XRUN_OK, XRUN_E_INVALID (bad spec: the message names the key),
 *          XRUN_E_NOT_FOUND (machine), XRUN_E_TRANSPORT, XRUN_E_SCHEDULER,
 *          XRUN_E_STORE. If sending fails the job stays in the store (state
 *          created with the reason; or waiting, waiting_for "connection", after a
 *          transport failure: poll rounds send it again) and `*out` is still NULL:
 *          use xrun_job_submit_v2 to get the job even then. A host that is
 *          down or silent costs at most the machine's connect_timeout (all
 *          retries included), not one per retry. */
XRUN_API int xrun_job_submit(xrun_job **out, xrun_ctx *ctx, const char *spec_json);

/** Submit `command` on `machine` with no other settings: the JSON-free way
 *  for Fortran and C. Blocks and fails as xrun_job_submit().
 *  @param out      set to the job (OWNED: xrun_job_free); NULL on failure
 *  @param ctx      the context (BORROWED)
 *  @param machine  the machine's name (NULL: default)
 *  @param name     the job's name, free text (NULL: none)
 *  @param command  a shell command line
 *  @return the codes of xrun_job_submit: XRUN_OK, XRUN_E_INVALID, XRUN_E_NOT_FOUND, XRUN_E_TRANSPORT, XRUN_E_SCHEDULER, XRUN_E_STORE. */
XRUN_API int xrun_job_submit_command(xrun_job **out, xrun_ctx *ctx,
                                     const char *machine, const char *name,
                                     const char *command);

/** Submit several jobs at once. Every spec is checked
 *  first -- one bad spec refuses the whole batch (XRUN_E_INVALID naming its
 *  index) and nothing is recorded. Members may depend on each other by
 *  name or index ("depends_on": ["@relax"], ["@0"]): an unknown or
 *  ambiguous reference, or a cycle (the message gives its path, "dependency
 *  cycle: @a -> @b -> @a"), refuses the batch too. Then every job is
 *  recorded (each member's spec carries the batch's id, "batch"), and per
 *  machine ONE command creates their directories, writes their scripts and
 *  submits them: over SSH one round trip for N jobs. Members whose parents
 *  have not ended (or are not on the scheduler yet) are recorded waiting
 *  ("state": "waiting") and sent by poll rounds.
 *  Blocks for one command per machine.
 *  @param out_json    set to an OWNED JSON array (release with xrun_free),
 *                     in input order, of {"id":..,"state":..,
 *                     "scheduler_id":..,"error":..} ("error" only for a job
 *                     that was not sent; it stays in the store with the
 *                     reason)
 *  @param ctx         the context (BORROWED)
 *  @param specs_json  a JSON array of job specs (see xrun_job_submit)
 *  @return XRUN_OK once every job is recorded, even if some could not be
 *          sent; XRUN_E_INVALID, XRUN_E_NOT_FOUND (machine), XRUN_E_STORE. */
XRUN_API int xrun_jobs_submit(char **out_json, xrun_ctx *ctx, const char *specs_json);

/** Submit one job like xrun_job_submit, but give the caller the job
 *  whenever it was recorded -- also when sending it failed.
 *  Ownership: `*out` is OWNED by the caller (release with xrun_job_free)
 *  and is set on XRUN_OK and on every send failure (XRUN_E_TRANSPORT,
 *  XRUN_E_SCHEDULER, XRUN_E_TIMEOUT, XRUN_E_STATE); it is NULL when the job
 *  was refused before it was recorded (XRUN_E_INVALID, XRUN_E_NOT_FOUND,
 *  XRUN_E_UNSUPPORTED, XRUN_E_STORE). After a failed send the job is in
 *  state created (xrun_job_send sends it again) or waiting (waiting_for
 *  "connection": poll rounds send it again with backoff).
 *  Blocks: while the job is sent (connecting if needed), at most about the
 *  machine's command_timeout.  Threads: any.
 *  @param out        receives the job handle (see above); must not be NULL
 *  @param ctx        the context (BORROWED)
 *  @param spec_json  the job spec (see xrun_job_submit; BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID, XRUN_E_NOT_FOUND, XRUN_E_UNSUPPORTED,
 *          XRUN_E_TRANSPORT, XRUN_E_TIMEOUT, XRUN_E_SCHEDULER, XRUN_E_STATE,
 *          XRUN_E_STORE */
XRUN_API int xrun_job_submit_v2(xrun_job **out, xrun_ctx *ctx, const char *spec_json);

/** Send a recorded job that is not on a scheduler yet: one in state
 *  created (its send failed, or xrun_recover reset it) or waiting (sent
 *  now instead of at the next poll round). An array job is sent with all
 *  its unsent tasks; a task alone is refused (send the array's first job).
 *  The job is moved to submitting before anything is sent (the same
 *  write-before-act journal as a submit), so a send that races with
 *  another process's send sends it once. The handle is refreshed.
 *  Blocks: while the job is sent, at most about the machine's
 *  command_timeout.  Threads: any.
 *  @param job  the job (BORROWED)
 *  @return XRUN_OK (sent, or waiting for room under a per-user cap),
 *          XRUN_E_INVALID (job is NULL), XRUN_E_STATE (the job is in another
 *          state, named in the message, or is an array task),
 *          XRUN_E_NOT_FOUND (its machine is no longer configured),
 *          XRUN_E_TRANSPORT / XRUN_E_TIMEOUT (the job then waits for the
 *          connection), XRUN_E_SCHEDULER (refused: the job stays created),
 *          XRUN_E_STORE */
XRUN_API int xrun_job_send(xrun_job *job);

/** Open a job by its xrun id. Does not poll.
 *  @param out  set to the job (OWNED: xrun_job_free); NULL on failure
 *  @param ctx  the context (BORROWED)
 *  @param id   the job's xrun id
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument), XRUN_E_NOT_FOUND (no
 *          job has that id), XRUN_E_STORE. */
XRUN_API int xrun_job_open(xrun_job **out, xrun_ctx *ctx, const char *id);
/** Release a job handle (the job itself is not touched).
 *  No status code: never fails.
 *  @param job  the handle (OWNED, released); NULL is a no-op */
XRUN_API void xrun_job_free(xrun_job *job);

/** The job's xrun id.
 *  @param job  the job (BORROWED)
 *  @return the id (a 26-character ULID), BORROWED, handle's life.
 *          No status code: "" for NULL. */
XRUN_API const char *xrun_job_id(xrun_job *job);

/** Re-read the job from the store and, if its machine's poll interval
 *  allows, poll its machine (one scheduler query for ALL active jobs of
 *  that machine). Blocks for that round.
 *  @param job  the job (BORROWED); its handle is updated
 *  @return XRUN_OK whatever state the job is in; XRUN_E_TRANSPORT /
 *          XRUN_E_SCHEDULER only if the poll itself failed (the job's
 *          state is then unchanged); XRUN_E_INVALID (job is NULL). */
XRUN_API int xrun_job_refresh(xrun_job *job);

/** The state as of the last open/refresh/wait. Never fails.
 *  @param job  the job (BORROWED)
 *  @return the job's xrun_state. No status code: -1 for NULL. */
XRUN_API int xrun_job_state(xrun_job *job);

/** The exit code, if known.
 *  @param job       the job (BORROWED)
 *  @param out_code  set to the exit code
 *  @return XRUN_OK, XRUN_E_NOT_FOUND if not (yet) known, XRUN_E_INVALID
 *          (NULL argument). */
XRUN_API int xrun_job_exit_code(xrun_job *job, int *out_code);

/** The scheduler's id of the job.
 *  @param job  the job (BORROWED)
 *  @return the id ("1234", a pid for the direct scheduler); "" before
 *          submission. BORROWED until the next refresh/wait on this handle.
 *          No status code: "" for NULL. */
XRUN_API const char *xrun_job_scheduler_id(xrun_job *job);

/** The reason for the current state.
 *  @param job  the job (BORROWED)
 *  @return the reason ("Priority", "NonZeroExitCode", "scf_not_converged",
 *          ...), "" if none. BORROWED like scheduler_id (until the next
 *          refresh/wait on this handle). No status code: "" for NULL. */
XRUN_API const char *xrun_job_reason(xrun_job *job);

/** The job's record as OWNED JSON: id, name, machine, state, scheduler_id,
 *  exit_code, reason, job_dir, stdout, stderr, created_at, submitted_at,
 *  started_at, ended_at (ISO 8601 UTC, null if not yet), attempts (sends
 *  tried), waiting_for ("" or, in state waiting: "room", "connection",
 *  "dependencies", "retry_backoff", "deferred"), last_error (the last failed
 *  send, "" if none), next_try_at (when a poll round sends it again, null
 *  if at once), cached_from (the job whose result a "cache": true job took
 *  without running, "" if none), content_hash ("" unless "cache": true),
 *  machine_choice (only when xrun chose among several machines:
 *  {"machine", "group", "strategy", "candidates", "why"}),
 *  attempt (the number of the job's current or last attempt,
 *  1 unless its retry policy sent it again), attempt_history (one object
 *  per ended attempt, oldest first: number, scheduler_id, state, reason,
 *  exit_code, submitted_at, started_at, ended_at, corrections -- what was
 *  changed for the next attempt, a list of strings; see docs/CAMPAIGNS.md),
 *  and "result" once a parser ran (a cached job's is the original's). xrun_jobs_list() gives the same objects
 *  without attempt_history.
 *  @param out_json  set to the record, OWNED JSON (release with xrun_free)
 *  @param job       the job (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument), XRUN_E_STORE. */
XRUN_API int xrun_job_info_json(char **out_json, xrun_job *job);

/** Wait until the job reaches a terminal state, polling no more often than
 *  its machine allows.
 *  Failed poll rounds (connection or scheduler down) are retried with
 *  exponential backoff; only a failure lasting over 5 minutes is returned.
 *  Blocks: until the job is terminal, the time runs out or
 *  xrun_ctx_interrupt() is called. Every poll, connect, command and file
 *  transfer it makes ends by its own deadline: it returns within
 *  `timeout_ms` + 1 s even if the host or its scheduler hangs.
 *  @param job         the job (BORROWED); its handle is updated
 *  @param timeout_ms  how long to wait: < 0 waits forever, 0 polls once
 *  @return XRUN_OK once terminal (whatever the outcome), XRUN_E_TIMEOUT if
 *          the time ran out first, XRUN_E_STATE for a job that was never sent,
 *          XRUN_E_TRANSPORT / XRUN_E_SCHEDULER, or XRUN_E_INTERRUPTED when
 *          xrun_ctx_interrupt() was called on its context while it waited;
 *          XRUN_E_INVALID (job is NULL). */
XRUN_API int xrun_job_wait(xrun_job *job, int64_t timeout_ms);

/** Cancel the job (kills the whole process group of a direct job; scancel
 *  etc. for a batch job).
 *  @param job  the job (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL job), XRUN_E_STATE (cancelling a
 *          terminal job), XRUN_E_SCHEDULER (the cancel command failed),
 *          XRUN_E_TRANSPORT, XRUN_E_TIMEOUT, XRUN_E_STORE. */
XRUN_API int xrun_job_cancel(xrun_job *job);

/** Hold a job that waits in its scheduler's queue (scontrol hold, qhold,
 *  bstop): it stays queued without starting until xrun_job_release().
 *  (A job can also be submitted held: "hold": true in its spec.) A job
 *  that is already held is left as it is (XRUN_OK).
 *  Blocks for one command on the job's machine.  Threads: any.
 *  @param job  the job (BORROWED); its handle is updated
 *  @return XRUN_OK, XRUN_E_INVALID (job is NULL), XRUN_E_STATE (the job is
 *          not submitted/queued/held: the message names its state),
 *          XRUN_E_UNSUPPORTED (its scheduler cannot hold, e.g. direct),
 *          XRUN_E_SCHEDULER (the scheduler refused), XRUN_E_TRANSPORT,
 *          XRUN_E_TIMEOUT, XRUN_E_STORE */
XRUN_API int xrun_job_hold(xrun_job *job);

/** Release a held job (scontrol release, qrls, bresume) back to queued. A
 *  job that is submitted or queued already is left as it is (XRUN_OK).
 *  Blocks for one command on the job's machine.  Threads: any.
 *  @param job  the job (BORROWED); its handle is updated
 *  @return XRUN_OK, XRUN_E_INVALID, XRUN_E_STATE, XRUN_E_UNSUPPORTED,
 *          XRUN_E_SCHEDULER, XRUN_E_TRANSPORT, XRUN_E_TIMEOUT, XRUN_E_STORE
 *          (as xrun_job_hold) */
XRUN_API int xrun_job_release(xrun_job *job);

/** Read a file from the job's directory, from its start. A larger file is cut at
 *  `max_bytes` without notice: use xrun_job_read_file_at() to read all of
 *  it or to follow it. Blocks for one file read on the machine.
 *  @param out_data   set to an OWNED buffer, NUL-terminated (release with
 *                    xrun_free)
 *  @param out_size   gets the length (may be NULL)
 *  @param job        the job (BORROWED)
 *  @param name       file name relative to the job directory (e.g. "stdout")
 *  @param max_bytes  most bytes to read (<= 0: 16 MiB)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument, or a name that is
 *          absolute or contains ".."), XRUN_E_NOT_FOUND (no job directory
 *          yet, or no such file), XRUN_E_IO, XRUN_E_TRANSPORT,
 *          XRUN_E_TIMEOUT, XRUN_E_STORE. */
XRUN_API int xrun_job_read_file(char **out_data, size_t *out_size, xrun_job *job,
                                const char *name, int64_t max_bytes);

/** Read part of a file of the job's directory: at most `max_bytes` from
 *  byte `offset`, and the file's total size, so that a caller can stream a
 *  file of any size, or follow one that grows, reading each byte once:
 *  @code
 *      offset = 0; do { read_at(.., offset, ..); offset += size; }
 *      while (offset < total);
 *  @endcode
 *  An offset at or past the end gives 0 bytes (not an error).
 *  Blocks for one command on the job's machine (bounded by its
 *  command_timeout).  Threads: any.
 *  @param out_data        OWNED buffer of the bytes read, NUL-terminated
 *                         (release with xrun_free); NULL on failure
 *  @param out_size        number of bytes read (may be NULL)
 *  @param out_total_size  the file's size in bytes when it was read (may be
 *                         NULL); at least offset + *out_size
 *  @param job             the job (BORROWED)
 *  @param name            file name relative to the job directory
 *                         ("stdout", "stderr", "pw.out", ...)
 *  @param offset          first byte to read (>= 0)
 *  @param max_bytes       most bytes to read (<= 0: 16 MiB); one call reads
 *                         at most 16 MiB - 32 bytes whatever is asked (a
 *                         command's output cap), so read on from offset + size
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument, negative offset, a name
 *          that is absolute or contains ".."), XRUN_E_NOT_FOUND (no job
 *          directory yet, or no such file), XRUN_E_IO, XRUN_E_TRANSPORT,
 *          XRUN_E_TIMEOUT, XRUN_E_STORE */
XRUN_API int xrun_job_read_file_at(char **out_data, size_t *out_size, int64_t *out_total_size,
                                   xrun_job *job, const char *name, int64_t offset,
                                   int64_t max_bytes);

/** List jobs, newest first. Reads the store only.
 *  @param out_json  set to an OWNED JSON array of job records (see
 *                   xrun_job_info_json; release with xrun_free)
 *  @param ctx       the context (BORROWED)
 *  @param machine   only this machine's jobs; NULL for all
 *  @param state     only jobs in this xrun_state; < 0 for all
 *  @param limit     at most this many jobs; <= 0 for no limit
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument), XRUN_E_STORE. */
XRUN_API int xrun_jobs_list(char **out_json, xrun_ctx *ctx, const char *machine,
                            int state, int64_t limit);

/** One poll round over all machines with active (or waiting) jobs: one
 *  scheduler query per machine whose min_poll_interval has passed, and
 *  across processes one poller per machine at a time (a lease in the
 *  store). A machine whose round fails is logged and retried with
 *  exponential backoff; its jobs keep their states and the call still
 *  returns XRUN_OK (xrun_job_refresh/xrun_job_wait report such failures for
 *  their job). Machines are polled concurrently (up to 4 at a time), each
 *  bounded by its own timeouts: an unreachable machine delays no other's
 *  round. Each round also sends the machine's waiting jobs that are due
 *  (deferred, waiting for room, for the connection after their backoff);
 *  a waiting job whose machine is no longer configured fails, its reason
 *  naming the machine. Blocks for the rounds it runs, at most
 *  about the slowest machine's command timeout.
 *  @param ctx          the context (BORROWED)
 *  @param out_next_ms  gets how many ms until another round would do
 *                      anything (may be NULL)
 *  @return XRUN_OK, XRUN_E_INVALID, XRUN_E_STORE, XRUN_E_INTERRUPTED
 *          (xrun_ctx_interrupt() was called during the rounds: the machines
 *          not yet started are skipped). */
XRUN_API int xrun_poll(xrun_ctx *ctx, int64_t *out_next_ms);

/** Reconcile jobs left in `submitting` by a crash: adopt those whose
 *  submission reached the scheduler (the submit output kept in the job
 *  directory, or the scheduler finding the job by its xrun id) and put the
 *  others back to `created` ("safe to resubmit"). Jobs touched less than
 *  30 s ago (env XRUN_RECOVER_SETTLE_MS) are left alone: their submitter may
 *  still be at work. Blocks for one or two commands per machine.
 *  @param out_report  set to an OWNED JSON {"examined":n,"adopted":n,
 *                     "reset":n,"unsent":n,"in_doubt":n} (may be NULL;
 *                     release with xrun_free)
 *  @param ctx         the context (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL ctx), XRUN_E_NOT_FOUND (a job's
 *          machine is no longer configured), XRUN_E_TRANSPORT,
 *          XRUN_E_TIMEOUT, XRUN_E_STORE. */
XRUN_API int xrun_recover(char **out_report, xrun_ctx *ctx);

/** Delete from the store the jobs in a terminal state that ended more than
 *  `older_than_ms` ago, with all their events (one transaction; event
 *  sequence numbers are never reused). Job directories on the machines
 *  are NOT touched. Open handles of pruned jobs keep their last snapshot;
 *  reopening them gives XRUN_E_NOT_FOUND.
 *  Blocks for one store transaction; never touches a cluster.
 *  Threads: any.
 *  @param out_report     OWNED JSON {"jobs":n,"events":n} of what was
 *                        deleted (may be NULL; release with xrun_free)
 *  @param ctx            the context (BORROWED)
 *  @param older_than_ms  minimum age of a job's end, >= 0 (0: every
 *                        terminal job)
 *  @return XRUN_OK, XRUN_E_INVALID (ctx NULL or a negative age),
 *          XRUN_E_STORE */
XRUN_API int xrun_prune(char **out_report, xrun_ctx *ctx, int64_t older_than_ms);

/* ------------------------------------------------------------------------ */
/* Events: an append-only journal of state changes, read from the store    */
/* ------------------------------------------------------------------------ */

/** A batch of events read from the store by xrun_events_since(), released
 *  by xrun_events_free(). Its accessors read event `i`, 0 <= i < count.
 *
 *  Most events record a change of a job's state. Some record only a new
 *  reason for the same state (e.g. "queued (Priority)" then "queued
 *  (Resources)"): they are a second event with the same state as the
 *  job's previous event. xrun_events_kind() (and "kind" in
 *  xrun_events_json()) tells them apart: "state" when the state changed
 *  (and for a job's first event), "reason" when it did not. To count a
 *  job's transitions, count its "state" events. */
typedef struct xrun_events xrun_events;

/** The events with sequence number > `after_seq`, oldest first. Reads the
 *  store only: never touches a cluster.
 *  @param out        set to the events (OWNED: xrun_events_free); NULL on
 *                    failure
 *  @param ctx        the context (BORROWED)
 *  @param after_seq  the last sequence number the caller has seen
 *  @param max        at most this many events (<= 0: 1000)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument), XRUN_E_STORE. */
XRUN_API int xrun_events_since(xrun_events **out, xrun_ctx *ctx, int64_t after_seq, int64_t max);
/** Release a batch of events. No status code: never fails.
 *  @param events  the events (OWNED, released); NULL is a no-op */
XRUN_API void xrun_events_free(xrun_events *events);
/** The number of events in the batch.
 *  @param events  the events (BORROWED)
 *  @return the count. No status code: 0 for NULL. */
XRUN_API int64_t xrun_events_count(xrun_events *events);
/** The sequence number of event `i`.
 *  @param events  the events (BORROWED)
 *  @param i       the event's index, 0 <= i < count
 *  @return its sequence number; 0 if `i` is out of range.
 *          No status code (the accessors never fail). */
XRUN_API int64_t xrun_events_seq(xrun_events *events, int64_t i);
/** The time of event `i`.
 *  @param events  the events (BORROWED)
 *  @param i       the event's index, 0 <= i < count
 *  @return its time in ms since the epoch; 0 if `i` is out of range.
 *          No status code (the accessors never fail). */
XRUN_API int64_t xrun_events_time_ms(xrun_events *events, int64_t i);
/** The xrun id of the job of event `i`.
 *  @param events  the events (BORROWED)
 *  @param i       the event's index, 0 <= i < count
 *  @return the id, BORROWED for the handle's life; "" if `i` is out of
 *          range. No status code (the accessors never fail). */
XRUN_API const char *xrun_events_job_id(xrun_events *events, int64_t i);
/** The state the job entered at event `i`.
 *  @param events  the events (BORROWED)
 *  @param i       the event's index, 0 <= i < count
 *  @return an xrun_state; -1 if `i` is out of range.
 *          No status code (the accessors never fail). */
XRUN_API int xrun_events_state(xrun_events *events, int64_t i);
/** The message of event `i`.
 *  @param events  the events (BORROWED)
 *  @param i       the event's index, 0 <= i < count
 *  @return the message, BORROWED for the handle's life; "" if `i` is out
 *          of range. No status code (the accessors never fail). */
XRUN_API const char *xrun_events_message(xrun_events *events, int64_t i);
/** What event `i` records: a change of state, or only a new reason for
 *  the same state. Decided from the states alone: "reason" when the job's
 *  previous event (in seq order) had the same state, else "state".
 *  Blocks: never (reads the batch only).  Threads: any.
 *  @param events  the events (BORROWED)
 *  @param i       the event's index, 0 <= i < count
 *  @return "state" or "reason", a static string (BORROWED, never freed);
 *          "" if `i` is out of range or `events` is NULL.
 *          No status code (the accessors never fail). */
XRUN_API const char *xrun_events_kind(xrun_events *events, int64_t i);
/** All events as JSON.
 *  @param out_json  set to an OWNED JSON array (release with xrun_free)
 *                   [{"seq":..,"time_ms":..,"job_id":..,
 *                   "state":"running","kind":"state","message":..}, ...]
 *                   ("kind": see xrun_events_kind())
 *  @param events    the events (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_events_json(char **out_json, xrun_events *events);

/** Block until the store holds an event with sequence number > `after_seq`.
 *  Wakes at once for events written by this process (any context) and
 *  within about 50 ms for events written by other processes (it checks
 *  SQLite's data_version, not the events table, while nothing changes).
 *  Never polls a cluster: pair it with xrun_poll() in some thread.
 *  Blocks: up to `timeout_ms` (< 0: until an event or an interrupt; 0:
 *  checks once).  Threads: any; interrupted by xrun_ctx_interrupt().
 *  @param out_last_seq  set to the newest event's seq on XRUN_OK (may be
 *                       NULL); left untouched otherwise
 *  @param ctx           the context (BORROWED)
 *  @param after_seq     the last seq the caller has seen (0: none)
 *  @param timeout_ms    how long to wait at most
 *  @return XRUN_OK (a newer event exists), XRUN_E_TIMEOUT, XRUN_E_INTERRUPTED,
 *          XRUN_E_INVALID (ctx is NULL), XRUN_E_STORE */
XRUN_API int xrun_events_wait(int64_t *out_last_seq, xrun_ctx *ctx, int64_t after_seq,
                              int64_t timeout_ms);

/* ------------------------------------------------------------------------ */
/* Output parsing                                                           */
/* ------------------------------------------------------------------------ */

/** A parsed output (its numbers, arrays and diagnosis), from
 *  xrun_parse_file(), xrun_parse_buffer() or xrun_job_result(); released
 *  by xrun_result_free(). */
typedef struct xrun_result xrun_result;

/** Parse an output file. Streams the file: memory stays
 *  bounded whatever its size. A truncated or failed run is NOT an error: it
 *  gives a result whose diagnosis says so.
 *  @param out     set to the result (OWNED: xrun_result_free); NULL on
 *                 failure
 *  @param path    the file's path
 *  @param parser  "qe", "vasp", "crystal" or "auto"/NULL to detect from the
 *                 content
 *  @return XRUN_OK, XRUN_E_IO (cannot read), XRUN_E_PARSE (no parser
 *          recognises the content), XRUN_E_INVALID (unknown parser name). */
XRUN_API int xrun_parse_file(xrun_result **out, const char *path, const char *parser);
/** The same over a buffer.
 *  @param out     as for xrun_parse_file
 *  @param data    the bytes (need not be NUL-terminated)
 *  @param size    how many bytes `data` holds
 *  @param parser  as for xrun_parse_file
 *  @return the codes of xrun_parse_file (XRUN_E_INVALID also for NULL data). */
XRUN_API int xrun_parse_buffer(xrun_result **out, const char *data, size_t size,
                               const char *parser);
/** The parsed result of a job whose spec named a parser.
 *  @param out  set to the result (OWNED: xrun_result_free); NULL on failure
 *  @param job  the job (BORROWED)
 *  @return XRUN_OK, XRUN_E_NOT_FOUND if none (yet), XRUN_E_INVALID (NULL
 *          argument). */
XRUN_API int xrun_job_result(xrun_result **out, xrun_job *job);
/** Release a result. No status code: never fails.
 *  @param result  the result (OWNED, released); NULL is a no-op */
XRUN_API void xrun_result_free(xrun_result *result);

/** The result as JSON.
 *  @param out_json  set to an OWNED JSON object (release with xrun_free);
 *                   keys: code, program_version, total_energy_ev, ... ,
 *                   diagnosis {code, line, text}
 *  @param result    the result (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_result_json(char **out_json, xrun_result *result);
/** A number by its JSON key.
 *  @param result     the result (BORROWED)
 *  @param key        the number's JSON key (e.g. "total_energy_ev",
 *                    "n_scf_iterations")
 *  @param out_value  set to the number
 *  @return XRUN_OK, XRUN_E_NOT_FOUND if the file did not print it,
 *          XRUN_E_INVALID (NULL argument). */
XRUN_API int xrun_result_double(xrun_result *result, const char *key, double *out_value);
/** The detected code.
 *  @param result  the result (BORROWED)
 *  @return "qe", "vasp" or "crystal", BORROWED, handle's life.
 *          No status code: "" for NULL. */
XRUN_API const char *xrun_result_code(xrun_result *result);
/** The diagnosis code.
 *  @param result  the result (BORROWED)
 *  @return "ok", "scf_not_converged", "truncated_output", ...;
 *          BORROWED, handle's life. Never NULL.
 *          No status code: never fails. */
XRUN_API const char *xrun_result_diagnosis(xrun_result *result);
/** The line of the output that shows the diagnosis.
 *  @param result  the result (BORROWED)
 *  @return the 1-based line number, 0 if none.
 *          No status code (0 for NULL). */
XRUN_API int64_t xrun_result_diagnosis_line(xrun_result *result);
/** The text of the line that shows the diagnosis.
 *  @param result  the result (BORROWED)
 *  @return the text of that line (a printable, bounded copy), BORROWED,
 *          handle's life; "" if none.
 *          No status code ("" for NULL). */
XRUN_API const char *xrun_result_diagnosis_text(xrun_result *result);

/** An array of the result by its JSON key, as doubles in row-major order.
 *  Keys and shapes: "final_positions_angstrom" and
 *  "final_forces_ev_per_angstrom" N x 3 (atom by atom, x y z),
 *  "final_cell_angstrom" 3 x 3 (rows = lattice vectors), "final_stress_kbar"
 *  3 x 3, "ionic_energies_ev" one per ionic step (may be empty: length 0).
 *  Copies min(capacity, length) values into `out` and always sets
 *  `*out_len` to the full length, so a call with capacity 0 asks the size.
 *  Ownership: `result` and `key` are BORROWED; `out` is the caller's buffer.
 *  Blocks: no (memory only).  Threads: any thread; a handle may be shared.
 *  @param result    the parsed result
 *  @param key       the array's JSON key (above)
 *  @param out       where to copy the values; may be NULL if capacity is 0
 *  @param capacity  how many doubles `out` holds
 *  @param out_len   receives the full number of values
 *  @return XRUN_OK; XRUN_E_NOT_FOUND if the file did not print that array
 *          or the key is not an array (*out_len is then 0);
 *          XRUN_E_INVALID if result, key or out_len is NULL, or out is NULL
 *          with capacity > 0 */
XRUN_API int xrun_result_array(xrun_result *result, const char *key, double *out, size_t capacity,
                               size_t *out_len);

/** The index-th string of a string array of the result: for key "species",
 *  the element (or pw.x label) of atom `index`, in the order of
 *  "final_positions_angstrom"; its length is "n_atoms"
 *  (xrun_result_double). Ownership: the returned string is BORROWED, valid
 *  for the result handle's life; `result` and `key` are BORROWED.
 *  Blocks: no.  Threads: any thread; a handle may be shared.
 *  @param result  the parsed result
 *  @param key     "species"
 *  @param index   0-based atom index
 *  @return the string, or NULL when there is no such key or index, or an
 *          argument is NULL. No status code: the lookup cannot fail
 *          otherwise, and xrun_last_error is not set. */
XRUN_API const char *xrun_result_string_at(xrun_result *result, const char *key, size_t index);

/* ------------------------------------------------------------------------ */
/* Job specs built field by field: no JSON in the caller                    */
/* ------------------------------------------------------------------------ */

/** A job spec handle (docs/JOBSPEC.md) filled by typed setters, for callers
 * that should not write JSON by hand (C, Fortran): every string given to a
 * setter arrives unchanged in the job -- quotes, backslashes, newlines and
 * all. Each setter checks its value at once with the same parser as
 * xrun_job_submit (unknown resource keys, a malformed walltime or memory,
 * a count below 1, "command" together with "argv", ...): on failure it
 * returns XRUN_E_INVALID with a message naming the JSON path
 * ("job spec: $.resources.walltime: ..."), and the spec is left as it was.
 * What needs a context is checked when the spec is submitted: the machine
 * exists, uploads are readable, dependencies are known jobs, the
 * scheduler can carry the spec.
 * A spec handle belongs to no context and holds no resources besides
 * memory. Threads: a spec may be used from any thread; calls that change
 * it must not run at the same time as any other call on the same spec,
 * while calls that only read it (xrun_spec_to_json, xrun_job_submit_spec)
 * may run concurrently with each other. Setters never block. */
typedef struct xrun_spec xrun_spec;

/** Create an empty job spec. It has no command yet: set one with
 *  xrun_spec_set_command() or xrun_spec_add_arg() before submitting it.
 *  Blocks: no.  Threads: any.
 *  @param out  receives the new spec, OWNED by the caller (release with
 *              xrun_spec_free); NULL on failure
 *  @return XRUN_OK, XRUN_E_INVALID (out is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_new(xrun_spec **out);

/** Release a spec. NULL is a no-op. Jobs submitted from it do not depend
 *  on it: it may be freed right after xrun_job_submit_spec() returns.
 *  No status code: never fails.
 *  @param spec  the spec (OWNED by the caller until this call; NULL: nothing) */
XRUN_API void xrun_spec_free(xrun_spec *spec);

/** Set the job's name ("name": free text, also in the scheduler's job
 *  name), replacing an earlier one.
 *  Blocks: no.  Threads: see the section's comment.
 *  @param spec  the spec (BORROWED)
 *  @param name  the name (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_name(xrun_spec *spec, const char *name);

/** Set the machine to run on ("machine"; unset: the default machine). The
 *  name is looked up when the spec is submitted (XRUN_E_NOT_FOUND then).
 *  @param spec     the spec (BORROWED)
 *  @param machine  a configured machine's name (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_machine(xrun_spec *spec, const char *machine);

/** Set the shell command line the job runs ("command", run by bash in the
 *  job directory), replacing an earlier one. A spec has either a command
 *  or arguments (xrun_spec_add_arg), not both.
 *  @param spec     the spec (BORROWED)
 *  @param command  the command line, not blank (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL, the command is
 *          blank, or arguments were added already), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_command(xrun_spec *spec, const char *command);

/** Append one argument to the job's argv ("argv": the first is the
 *  program). Each argument is quoted for the shell by xrun, so spaces,
 *  quotes, `$(...)` and newlines reach the program unchanged.
 *  @param spec  the spec (BORROWED)
 *  @param arg   the argument (BORROWED, copied); may be ""
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL, or a command was
 *          set already), XRUN_E_NOMEM */
XRUN_API int xrun_spec_add_arg(xrun_spec *spec, const char *arg);

/** Set the directory on the machine to run in instead of the job's own
 *  directory ("workdir"; "~" is the home there).
 *  @param spec     the spec (BORROWED)
 *  @param workdir  the directory (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_workdir(xrun_spec *spec, const char *workdir);

/** Set an environment variable of the job ("env": exported before the
 *  command, after the machine's env), replacing an earlier value of the
 *  same name. The name is checked to be a valid shell variable name when
 *  the spec is submitted.
 *  @param spec   the spec (BORROWED)
 *  @param name   the variable's name, not empty (BORROWED, copied)
 *  @param value  its value (BORROWED, copied); may be ""
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL, or the name is
 *          empty), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_env(xrun_spec *spec, const char *name, const char *value);

/** Set one resource ("resources"; the keys of `docs/MACHINES.md#resources`:
 *  nodes, tasks_per_node, cpus_per_task, memory, walltime, partition,
 *  account, qos), overriding the machine's default, from text: "64G" for
 *  memory, "01:00:00" / "1-00:00:00" / "90" (minutes) for walltime, one
 *  word for partition (the queue of PBS, Grid Engine and LSF), account and
 *  qos, and a whole number such as "2" for the counts.
 *  @param spec   the spec (BORROWED)
 *  @param key    the resource's key (BORROWED)
 *  @param value  its value as text (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL, an unknown key --
 *          the message suggests the closest one -- or a malformed value:
 *          "job spec: $.resources.walltime: expected ..."), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_resource(xrun_spec *spec, const char *key, const char *value);

/** Set a count resource (nodes, tasks_per_node, cpus_per_task) from a
 *  number; as xrun_spec_set_resource() otherwise.
 *  @param spec   the spec (BORROWED)
 *  @param key    "nodes", "tasks_per_node" or "cpus_per_task" (BORROWED)
 *  @param value  the count, >= 1
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL, an unknown key, a
 *          key whose value is text such as "memory", or a value below 1),
 *          XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_resource_int(xrun_spec *spec, const char *key, int64_t value);

/** Append a local file or directory to copy into the job directory before
 *  the job starts ("upload"). It must be readable when the spec is
 *  submitted (XRUN_E_INVALID then).
 *  @param spec  the spec (BORROWED)
 *  @param path  a local path (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_add_upload(xrun_spec *spec, const char *path);

/** Append a file of the job directory to copy back when the job ends
 *  ("retrieve").
 *  @param spec  the spec (BORROWED)
 *  @param name  a name relative to the job directory: not empty, no "/" at
 *               the start, no ".." (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL or the name leaves
 *          the job directory), XRUN_E_NOMEM */
XRUN_API int xrun_spec_add_retrieve(xrun_spec *spec, const char *name);

/** Set the local directory the retrieved files go to ("retrieve_to";
 *  unset: `$XRUN_HOME/results/<id>`; "~/" allowed).
 *  @param spec  the spec (BORROWED)
 *  @param dir   the directory (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_retrieve_to(xrun_spec *spec, const char *dir);

/** Set the parser applied to the job's parse file when it ends ("parser"):
 *  its result and diagnosis go to the job's record (xrun_job_result).
 *  @param spec    the spec (BORROWED)
 *  @param parser  "qe", "vasp", "crystal" or "auto" (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL or another parser
 *          name), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_parser(xrun_spec *spec, const char *parser);

/** Set the file the parser reads ("parse_file"; unset: the job's stdout).
 *  @param spec  the spec (BORROWED)
 *  @param name  a name relative to the job directory (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL or the name leaves
 *          the job directory), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_parse_file(xrun_spec *spec, const char *name);

/** Append a job this one starts after ("depends_on", afterok: it starts
 *  once they completed). The job must exist when the spec is submitted, on
 *  any machine (in a batch, "@name" or "@index" names a member); a parent
 *  the scheduler cannot wait for natively is waited for by xrun (see
 *  xrun_job_submit). Typed dependencies go through JSON specs.
 *  @param spec    the spec (BORROWED)
 *  @param job_id  an xrun job id (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_add_dependency(xrun_spec *spec, const char *job_id);

/** Set a yes/no setting of the spec: "hold" (submit the job held; batch
 *  schedulers only), "defer" (only record the job and return at once:
 *  the next poll round of its machine sends it) or "cache" (an identical
 *  job that completed answers it at once; see xrun_job_submit).
 *  @param spec   the spec (BORROWED)
 *  @param flag   "hold", "defer" or "cache" (BORROWED)
 *  @param value  non-zero for true, 0 for false
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL or another flag
 *          name), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_flag(xrun_spec *spec, const char *flag, int value);

/** Set what becomes of the job directory on the machine once the job's
 *  files were retrieved ("cleanup"; unset: the machine's policy).
 *  @param spec    the spec (BORROWED)
 *  @param policy  "keep", "on_success" or "always" (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL or another policy),
 *          XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_cleanup(xrun_spec *spec, const char *policy);

/** Make the job an array ("array": one submission, each task a job of its
 *  own). The range's syntax depends on the scheduler (docs/JOBSPEC.md) and
 *  is checked when the spec is submitted; the direct scheduler has no
 *  arrays (XRUN_E_UNSUPPORTED at submit).
 *  @param spec   the spec (BORROWED)
 *  @param range  e.g. "0-9" or "0-99%10" (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL), XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_array(xrun_spec *spec, const char *range);

/** Set the job's retry policy ("retry", docs/CAMPAIGNS.md, "Retries"): which
 *  ended attempts xrun sends again and what changes between attempts, as a
 *  JSON object, e.g. {"on": ["timeout", "node_fail"], "max_attempts": 3,
 *  "scale": {"walltime": 2}}. Checked at once: a bad policy is refused
 *  naming its path ("job spec: $.retry.on[1]: ...") and leaves the spec as
 *  it was. Replaces an earlier policy.
 *  @param spec         the spec (BORROWED)
 *  @param policy_json  the policy, a JSON object (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (a NULL argument or a bad policy),
 *          XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_retry(xrun_spec *spec, const char *policy_json);

/** Set what a retry changes in the job's inputs ("corrections"): "none"
 *  (the default), "builtin" (the library's corrections of pw.x and VASP
 *  inputs, by diagnosis) or "callback" (xrun_set_retry_callback()).
 *  @param spec  the spec (BORROWED)
 *  @param mode  "none", "builtin" or "callback" (BORROWED, copied)
 *  @return XRUN_OK, XRUN_E_INVALID (a NULL argument or another mode),
 *          XRUN_E_NOMEM */
XRUN_API int xrun_spec_set_corrections(xrun_spec *spec, const char *mode);

/** The spec as the JSON text xrun_job_submit() takes (compact, keys in the
 *  order they were first set), e.g. to log it or to pass it to
 *  xrun_jobs_submit() in an array.
 *  Blocks: no.  Threads: see the section's comment (a reading call).
 *  @param out_json  receives the OWNED text (release with xrun_free); NULL
 *                   on failure
 *  @param spec      the spec (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL, or the spec has
 *          neither a command nor arguments), XRUN_E_NOMEM */
XRUN_API int xrun_spec_to_json(char **out_json, const xrun_spec *spec);

/** Submit a job from a spec handle, with the semantics of
 *  xrun_job_submit_v2(): the job is recorded in the store before anything
 *  is sent, and the caller gets it whenever it was recorded -- also when
 *  sending it failed. The spec is not changed and may be submitted again
 *  (another job) or freed.
 *  Ownership: `*out` is OWNED by the caller (release with xrun_job_free)
 *  and is set on XRUN_OK and on every send failure (XRUN_E_TRANSPORT,
 *  XRUN_E_SCHEDULER, XRUN_E_TIMEOUT, XRUN_E_STATE); it is NULL when the job
 *  was refused before it was recorded (XRUN_E_INVALID, XRUN_E_NOT_FOUND,
 *  XRUN_E_UNSUPPORTED, XRUN_E_STORE). After a failed send the job is in
 *  state created (xrun_job_send sends it again) or waiting (waiting_for
 *  "connection": poll rounds send it again with backoff). A deferred spec
 *  ("defer") returns at once with the job in state waiting.
 *  Blocks: while the job is sent (connecting if needed), at most about the
 *  machine's command_timeout.  Threads: any (a reading call on the spec).
 *  @param out   receives the job handle (see above); must not be NULL
 *  @param ctx   the context (BORROWED)
 *  @param spec  the spec (BORROWED)
 *  @return XRUN_OK, XRUN_E_INVALID (an argument is NULL, no command, or a
 *          value only the submit can check: an unreadable upload, an
 *          unknown dependency, a bad variable name or array range),
 *          XRUN_E_NOT_FOUND (machine), XRUN_E_UNSUPPORTED (e.g. hold, arrays
 *          or dependencies on the direct scheduler), XRUN_E_TRANSPORT,
 *          XRUN_E_TIMEOUT, XRUN_E_SCHEDULER, XRUN_E_STATE, XRUN_E_STORE */
XRUN_API int xrun_job_submit_spec(xrun_job **out, xrun_ctx *ctx, const xrun_spec *spec);

/** Submit several specs at once, as xrun_jobs_submit() does with a JSON
 *  array: every spec is checked first -- one bad spec refuses the whole
 *  batch (XRUN_E_INVALID naming its index: "job 3: job spec: ...") and
 *  nothing is recorded; then every job is recorded, and per machine ONE
 *  command sends them. The specs are not changed.
 *  Ownership: `specs` and each spec are BORROWED; `*out_json` is OWNED
 *  (release with xrun_free): an array in input order of {"id":..,
 *  "state":..,"scheduler_id":..,"error":..} ("error" only for a job that
 *  was not sent; it stays in the store with the reason).
 *  Blocks: for one command per machine.  Threads: any (a reading call on
 *  each spec).
 *  @param out_json  receives the outcomes (see above); NULL on failure
 *  @param ctx       the context (BORROWED)
 *  @param specs     `count` spec handles, none NULL (may be NULL if
 *                   `count` is 0)
 *  @param count     how many specs
 *  @return XRUN_OK once every job is recorded, even if some could not be
 *          sent; XRUN_E_INVALID (a NULL argument or spec, or a spec
 *          refused), XRUN_E_NOT_FOUND (machine), XRUN_E_UNSUPPORTED,
 *          XRUN_E_STATE (a dependency not sent yet), XRUN_E_STORE */
XRUN_API int xrun_jobs_submit_specs(char **out_json, xrun_ctx *ctx, const xrun_spec *const *specs,
                                    size_t count);

#ifdef __cplusplus
}
#endif
#endif /* XRUN_H */
