! The shared binding scenario in Fortran (also run in C, Python and Rust),
! against the real library: real jobs on this host through the built-in
! `local` machine, on a temporary XRUN_HOME. Exits non-zero on any failure.
module test_support
  use, intrinsic :: iso_c_binding
  implicit none
  integer :: failures = 0, checks = 0
  integer :: log_lines = 0, empty_log_lines = 0

  interface
     function c_mkdtemp(template) bind(c, name="mkdtemp") result(p)
       import :: c_ptr, c_char
       character(kind=c_char), intent(inout) :: template(*)
       type(c_ptr) :: p
     end function c_mkdtemp
     function c_setenv(name, value, overwrite) bind(c, name="setenv") result(r)
       import :: c_char, c_int
       character(kind=c_char), intent(in) :: name(*), value(*)
       integer(c_int), value :: overwrite
       integer(c_int) :: r
     end function c_setenv
     function c_unsetenv(name) bind(c, name="unsetenv") result(r)
       import :: c_char, c_int
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int) :: r
     end function c_unsetenv
  end interface

contains

  !> Counts the library's log lines (single-threaded test: no lock needed).
  subroutine count_log(level, message, payload) bind(c)
    use xrun, only: xrun_c_string
    integer(c_int), value :: level
    type(c_ptr), value :: message, payload
    log_lines = log_lines + 1
    if (len(xrun_c_string(message)) == 0 .or. level < 0) empty_log_lines = empty_log_lines + 1
    if (c_associated(payload)) empty_log_lines = empty_log_lines + 1
  end subroutine count_log

  subroutine check(condition, what)
    logical, intent(in) :: condition
    character(len=*), intent(in) :: what
    checks = checks + 1
    if (.not. condition) then
       failures = failures + 1
       write (*, '(a)') 'FAIL: ' // what
    end if
  end subroutine check

  !> A fresh directory under $TMPDIR (or /tmp).
  function temp_dir(tag) result(path)
    character(len=*), intent(in) :: tag
    character(len=:), allocatable :: path
    character(len=512) :: base
    character(kind=c_char, len=:), allocatable :: template
    integer :: n
    call get_environment_variable('TMPDIR', base, n)
    if (n == 0) base = '/tmp'
    template = trim(base) // '/xrun-f-' // tag // '-XXXXXX' // c_null_char
    if (.not. c_associated(c_mkdtemp(template))) error stop 'mkdtemp failed'
    path = template(1:len(template) - 1)
  end function temp_dir

  subroutine set_env(name, value)
    character(len=*), intent(in) :: name, value
    if (c_setenv(name // c_null_char, value // c_null_char, 1_c_int) /= 0) error stop 'setenv failed'
  end subroutine set_env

  function getenv_or(name, fallback) result(value)
    character(len=*), intent(in) :: name, fallback
    character(len=:), allocatable :: value
    integer :: n, status
    call get_environment_variable(name, length=n, status=status)
    if (status /= 0 .or. n == 0) then
       value = fallback
       return
    end if
    allocate (character(len=n) :: value)
    call get_environment_variable(name, value)
  end function getenv_or

  subroutine write_file(path, text)
    character(len=*), intent(in) :: path, text
    integer :: unit
    open (newunit=unit, file=path, status='replace', action='write')
    write (unit, '(a)') text
    close (unit)
  end subroutine write_file

  !> The reference total energy of si_scf.out from expected.json.
  real(c_double) function expected_energy(corpus)
    character(len=*), intent(in) :: corpus
    character(len=:), allocatable :: text
    integer :: unit, size, at, key
    open (newunit=unit, file=corpus // '/expected.json', access='stream', form='unformatted', &
         action='read')
    inquire (unit=unit, size=size)
    allocate (character(len=size) :: text)
    read (unit) text
    close (unit)
    at = index(text, '"qe/generated/si_scf.out"')
    key = index(text(at:), '"total_energy_eV":') + at - 1 + len('"total_energy_eV":')
    read (text(key:key + index(text(key:), ',') - 2), *) expected_energy
  end function expected_energy

end module test_support

program test_xrun
  use test_support
  implicit none

  ! The scenario runs in a subroutine so its allocatables are released on
  ! return (a main program's are never freed, which LeakSanitizer reports).
  call scenario()
  write (*, '(i0,a,i0,a)') checks - failures, ' of ', checks, ' Fortran checks passed'
  if (failures > 0) error stop 1

contains

subroutine scenario()
  use, intrinsic :: iso_c_binding
  use xrun
  type(xrun_ctx) :: ctx, bad, logged
  type(xrun_machine) :: machine
  type(xrun_job) :: job, failing, sleeper, again, parsed_job
  type(xrun_events) :: events
  type(xrun_result) :: res, relax
  real(c_double), allocatable :: flat(:), rows(:, :)
  real(c_double) :: alat
  character(len=:), allocatable :: home, bad_home, json, text, msg, corpus, si_scf, id
  integer :: stat, code, i, first_of_job, last_of_job, state
  integer(c_int64_t) :: n, last_seq, next_ms, total
  real(c_double) :: energy, reference

  corpus = getenv_or('XRUN_CORPUS_DIR', '')
  if (len(corpus) == 0) error stop 'XRUN_CORPUS_DIR is not set'
  si_scf = corpus // '/qe/generated/si_scf.out'
  reference = expected_energy(corpus)

  ! ---- version, context on a temporary XRUN_HOME --------------------------
  call check(xrun_library_version_number() == XRUN_VERSION_NUMBER, 'header and library versions agree')
  call check(xrun_version() == '0.1.0', 'version string')
  home = temp_dir('home')
  call set_env('XRUN_HOME', home)
  call check(c_unsetenv('XRUN_DEFAULT_MACHINE' // c_null_char) == 0, 'unsetenv')
  call xrun_ctx_open(ctx, stat=stat, errmsg=msg)
  call check(stat == XRUN_OK, 'context opens on an empty XRUN_HOME: ' // msg)
  call check(xrun_is_open(ctx), 'context handle set')
  call check(xrun_ctx_home(ctx) == home, 'home is XRUN_HOME')
  call check(index(xrun_ctx_store_path(ctx), home) == 1, 'store under home')

  ! ---- machines -------------------------------------------------------------
  call xrun_machines_default(ctx, text)
  call check(text == 'local', 'built-in local machine is the default')
  call xrun_machines_list(ctx, json)
  call check(index(json, '"name":"local"') > 0, 'machines list names local')
  call xrun_machine_open(machine, ctx, 'local')
  call check(xrun_machine_name(machine) == 'local', 'machine name')
  call xrun_machine_json(machine, json)
  call check(index(json, '"scheduler":"direct"') > 0, 'local uses the direct scheduler')
  call xrun_machine_free(machine)
  call check(.not. xrun_is_open(machine), 'free resets the handle')
  call xrun_machine_free(machine) ! freeing a null handle is a no-op
  call xrun_machine_open(machine, ctx)
  call check(xrun_machine_name(machine) == 'local', 'default machine opens')
  call xrun_machine_free(machine)
  call xrun_machine_open(machine, ctx, 'local')
  call xrun_machine_check(machine, json, stat=stat, errmsg=msg)
  call check(stat == XRUN_OK .and. index(json, '"ok":true') > 0, 'machine check: ' // msg)
  call xrun_machine_stats(machine, json)
  call check(index(json, '"sessions_open":0') > 0, 'machine stats')
  call xrun_machine_free(machine)
  call xrun_recover(ctx, json)
  call check(index(json, '"adopted":0') > 0, 'recover report')
  call xrun_machine_open(machine, ctx, 'no-such-machine', stat=stat, errmsg=msg)
  call check(stat == XRUN_E_NOT_FOUND, 'unknown machine is XRUN_E_NOT_FOUND')
  call check(index(msg, 'no-such-machine') > 0, 'message names the machine: ' // msg)
  call check(.not. xrun_is_open(machine), 'failed open leaves a null handle')

  ! ---- a bad configuration --------------------------------------------------
  bad_home = temp_dir('bad')
  call write_file(bad_home // '/machines.json', &
       '{"machines": {"m1": {"execution": "local", "scheduler": "direct", "remot_auth": {}}}}')
  call xrun_ctx_open(bad, home=bad_home, stat=stat, errmsg=msg)
  call check(stat == XRUN_E_CONFIG, 'bad config is XRUN_E_CONFIG')
  call check(index(msg, 'remot_auth') > 0 .and. index(msg, 'machines.json') > 0, &
       'config message names key and file: ' // msg)
  call check(xrun_status_name(stat) == 'XRUN_E_CONFIG', 'status name')
  call check(xrun_last_status() == XRUN_E_CONFIG, 'last status')

  ! ---- submit, wait ---------------------------------------------------------
  call xrun_job_submit(job, ctx, '{"name": "greet", "command": "echo hello from xrun"}', stat=stat, errmsg=msg)
  call check(stat == XRUN_OK, 'submit: ' // msg)
  id = xrun_job_id(job)
  call check(len(id) == 26, 'job id is a ULID')
  call check(len(xrun_job_scheduler_id(job)) > 0, 'scheduler id after submit')
  call xrun_job_wait(job, 30000, stat=stat)
  call check(stat == XRUN_OK, 'wait')
  call check(xrun_job_state(job) == XRUN_STATE_COMPLETED, 'job completed')
  call check(xrun_state_is_terminal(xrun_job_state(job)), 'completed is terminal')
  call check(xrun_state_name(xrun_job_state(job)) == 'completed', 'state name')
  call xrun_job_exit_code(job, code, stat=stat)
  call check(stat == XRUN_OK .and. code == 0, 'exit code 0')
  call xrun_job_read_file(job, 'stdout', text)
  call check(text == 'hello from xrun' // achar(10), 'stdout read back')
  call xrun_job_read_file_at(job, 'stdout', 6_c_int64_t, text, total_size=total, max_bytes=4_c_int64_t, stat=stat)
  call check(stat == XRUN_OK .and. text == 'from' .and. total == 16, 'read_file_at from an offset')
  call xrun_events_wait(ctx, 0_c_int64_t, 0_c_int64_t, last_seq=total, stat=stat)
  call check(stat == XRUN_OK .and. total > 0, 'events_wait sees the events')
  call xrun_events_wait(ctx, total, 50_c_int64_t, stat=stat)
  call check(stat == XRUN_E_TIMEOUT, 'events_wait times out')
  call xrun_ctx_interrupt(ctx, stat=stat)
  call check(stat == XRUN_OK, 'interrupt with nothing blocked')
  call xrun_job_info_json(job, json)
  call check(index(json, '"name":"greet"') > 0 .and. index(json, '"state":"completed"') > 0, 'job info')

  ! A failed job is not a failed call.
  call xrun_job_submit_command(failing, ctx, 'exit 3', name='fails')
  call xrun_job_wait(failing, 30000_c_int64_t, stat=stat)
  call check(stat == XRUN_OK, 'waiting on a failing job succeeds')
  call check(xrun_job_state(failing) == XRUN_STATE_FAILED, 'job failed')
  call xrun_job_exit_code(failing, code)
  call check(code == 3, 'exit code 3')

  ! ---- poll, wait timeout, cancel ------------------------------------------
  call xrun_job_submit_command(sleeper, ctx, 'sleep 60', machine='local', name='sleeper')
  call xrun_job_wait(sleeper, 200, stat=stat, errmsg=msg)
  call check(stat == XRUN_E_TIMEOUT, 'wait times out: ' // msg)
  call xrun_poll(ctx, next_ms, stat=stat)
  call check(stat == XRUN_OK .and. next_ms >= 0, 'poll round')
  call xrun_job_refresh(sleeper)
  state = xrun_job_state(sleeper)
  call check(state == XRUN_STATE_RUNNING .or. state == XRUN_STATE_SUBMITTED, 'sleeper is running')
  call xrun_job_exit_code(sleeper, code, stat=stat)
  call check(stat == XRUN_E_NOT_FOUND, 'no exit code while running')
  call xrun_job_cancel(sleeper, stat=stat)
  call check(stat == XRUN_OK, 'cancel')
  call check(xrun_job_state(sleeper) == XRUN_STATE_CANCELLED, 'cancelled')
  call xrun_job_cancel(sleeper, stat=stat)
  call check(stat == XRUN_E_STATE, 'cancelling twice is XRUN_E_STATE')
  ! Only a job that is not on a scheduler yet can be sent: the message names the state.
  call xrun_job_send(sleeper, stat=stat, errmsg=msg)
  call check(stat == XRUN_E_STATE .and. index(msg, 'cancelled') > 0, 'send of a cancelled job: ' // msg)
  call xrun_job_open(again, ctx, xrun_job_id(sleeper))
  call check(xrun_job_state(again) == XRUN_STATE_CANCELLED, 'reopened job is cancelled')
  call xrun_job_free(again)
  ! ---- list -----------------------------------------------------------------
  call xrun_jobs_list(ctx, json)
  call check(index(json, xrun_job_id(sleeper)) > 0 .and. index(json, id) > 0, 'list has all jobs')
  call check(index(json, xrun_job_id(sleeper)) < index(json, id), 'newest first')
  call xrun_jobs_list(ctx, json, state=XRUN_STATE_COMPLETED)
  call check(index(json, id) > 0, 'list by state has the completed job')
  call check(index(json, xrun_job_id(failing)) == 0, 'list by state omits the failed job')
  call xrun_jobs_list(ctx, json, limit=1)
  call check(index(json, xrun_job_id(sleeper)) > 0 .and. index(json, id) == 0, 'list limit')
  call xrun_jobs_list(ctx, json, machine='elsewhere')
  call check(json == '[]', 'list by machine')

  ! A deferred job: recorded and waiting, sent by xrun_job_send at once.
  call xrun_job_submit_v2(again, ctx, '{"machine": "local", "command": "echo deferred", "defer": true}', &
       stat=stat, errmsg=msg)
  call check(stat == XRUN_OK, 'deferred submit: ' // msg)
  call check(xrun_job_state(again) == XRUN_STATE_WAITING, 'deferred job waits')
  call xrun_job_send(again, stat=stat, errmsg=msg)
  call check(stat == XRUN_OK, 'send of a deferred job: ' // msg)
  call xrun_job_wait(again, 60000, stat=stat)
  call check(stat == XRUN_OK, 'wait for the sent deferred job')
  call check(xrun_job_state(again) == XRUN_STATE_COMPLETED, 'sent deferred job completes')
  call xrun_job_free(again)

  ! ---- batch ----------------------------------------------------------------
  call xrun_jobs_submit(ctx, '[{"command": "true"}, {"command": "echo two"}]', json, stat=stat)
  call check(stat == XRUN_OK, 'batch submitted')
  call check(index(json, '"error"') == 0 .and. index(json, '"id"') > 0, 'batch outcomes')
  call xrun_jobs_submit(ctx, '[{"comand": "x"}]', json, stat=stat)
  call check(stat == XRUN_E_INVALID, 'bad batch refused')

  ! ---- events ---------------------------------------------------------------
  call xrun_events_since(events, ctx, 0_c_int64_t)
  n = xrun_events_count(events)
  call check(n > 0, 'events recorded')
  first_of_job = -1
  last_of_job = -1
  do i = 1, int(n)
     if (i > 1) call check(xrun_events_seq(events, i) > xrun_events_seq(events, i - 1), 'seq increases')
     if (xrun_events_job_id(events, i) == id) then
        if (first_of_job < 0) first_of_job = xrun_events_state(events, i)
        last_of_job = xrun_events_state(events, i)
        call check(xrun_events_time_ms(events, i) > 0, 'event time')
     end if
  end do
  call check(first_of_job == XRUN_STATE_CREATED, 'first event: created')
  call check(last_of_job == XRUN_STATE_COMPLETED, 'last event: completed')
  last_seq = xrun_events_seq(events, int(n))
  call xrun_events_json(events, json)
  call check(index(json, '"state":"completed"') > 0, 'events as JSON')
  call xrun_events_since(events, ctx, last_seq)
  call check(xrun_events_count(events) == 0, 'no events after the last')
  call xrun_events_since(events, ctx, 0_c_int64_t, max=2)
  call check(xrun_events_count(events) == 2, 'events max')
  call xrun_events_free(events)

  ! ---- parse a corpus file --------------------------------------------------
  call xrun_parse_file(res, si_scf, 'qe', stat=stat, errmsg=msg)
  call check(stat == XRUN_OK, 'parse si_scf.out: ' // msg)
  call check(xrun_result_code(res) == 'qe', 'detected code')
  call xrun_result_double(res, 'total_energy_ev', energy, stat=stat)
  call check(stat == XRUN_OK .and. abs(energy - reference) < 1e-4_c_double, 'total energy matches expected.json')
  call check(xrun_result_diagnosis(res) == 'ok', 'diagnosis ok')
  call xrun_result_double(res, 'no_such_number', energy, stat=stat)
  call check(stat == XRUN_E_NOT_FOUND, 'missing number is XRUN_E_NOT_FOUND')
  call xrun_result_json(res, json)
  call check(index(json, 'total_energy_ev') > 0, 'result JSON')
  ! Arrays and species without JSON, from a pw.x relax (2 Si atoms).
  call xrun_parse_file(relax, corpus // '/qe/generated/si_relax.out', stat=stat)
  call check(stat == XRUN_OK, 'parse si_relax.out')
  call xrun_result_array(relax, 'final_positions_angstrom', flat, stat=stat)
  call check(stat == XRUN_OK .and. size(flat) == 6, 'positions: 2 atoms x 3')
  alat = 10.2_c_double * 0.529177210903_c_double
  call check(abs(flat(1) - 0.0100019211_c_double * alat) < 1e-9_c_double, 'first position x')
  call xrun_result_rows(relax, 'final_positions_angstrom', rows, stat=stat)
  call check(stat == XRUN_OK .and. all(shape(rows) == [3, 2]), 'positions as rows(3, N)')
  call check(abs(rows(3, 2) - flat(6)) < 1e-12_c_double, 'rows(:, i) is atom i')
  call xrun_result_rows(relax, 'final_cell_angstrom', rows, stat=stat)
  call check(stat == XRUN_OK .and. abs(rows(1, 1) + alat / 2) < 1e-5_c_double, 'cell a(1) = (-1/2, 0, 1/2) alat')
  call xrun_result_array(relax, 'ionic_energies_ev', flat, stat=stat)
  call xrun_result_double(relax, 'total_energy_ev', energy)
  call check(stat == XRUN_OK .and. abs(flat(size(flat)) - energy) < 1e-9_c_double, 'last ionic energy')
  call xrun_result_array(relax, 'final_stress_kbar', flat, stat=stat)
  call check(stat == XRUN_E_NOT_FOUND .and. size(flat) == 0, 'no stress printed: XRUN_E_NOT_FOUND')
  call check(xrun_result_string_at(relax, 'species', 1) == 'Si', 'species 1')
  call check(xrun_result_string_at(relax, 'species', 2) == 'Si', 'species 2')
  call check(xrun_result_string_at(relax, 'species', 3) == '', 'no species 3')
  call xrun_result_free(relax)

  call xrun_parse_buffer(res, 'nothing any parser knows' // achar(10), stat=stat)
  call check(stat == XRUN_E_PARSE, 'unknown content is XRUN_E_PARSE')
  call xrun_parse_buffer(res, 'x', 'no-such-parser', stat=stat)
  call check(stat == XRUN_E_INVALID, 'unknown parser is XRUN_E_INVALID')
  call xrun_parse_file(res, home // '/missing.out', 'qe', stat=stat)
  call check(stat == XRUN_E_IO, 'missing file is XRUN_E_IO')
  call xrun_result_free(res)

  ! A job whose spec names a parser carries its result.
  call xrun_job_submit(parsed_job, ctx, '{"command": "cat ''' // si_scf // '''", "parser": "qe"}')
  call xrun_job_wait(parsed_job, 30000)
  call check(xrun_job_state(parsed_job) == XRUN_STATE_COMPLETED, 'parsed job completed')
  call xrun_job_result(res, parsed_job, stat=stat)
  call check(stat == XRUN_OK, 'job result')
  call xrun_result_double(res, 'total_energy_ev', energy)
  call check(abs(energy - reference) < 1e-4_c_double, 'job result energy')
  call xrun_result_free(res)
  call xrun_job_result(res, job, stat=stat)
  call check(stat == XRUN_E_NOT_FOUND, 'job without parser has no result')

  ! ---- error mapping --------------------------------------------------------
  call xrun_job_open(again, ctx, '01ARZ3NDEKTSV4RRFFQ69G5FAV', stat=stat, errmsg=msg)
  call check(stat == XRUN_E_NOT_FOUND, 'unknown job is XRUN_E_NOT_FOUND')
  call check(index(msg, 'XRUN_E_NOT_FOUND: ') == 1, 'errmsg names the code: ' // msg)
  call check(len(xrun_last_error()) > 0, 'last error message')
  call xrun_job_submit(again, ctx, '{"comand": "true"}', stat=stat, errmsg=msg)
  call check(stat == XRUN_E_INVALID .and. index(msg, 'comand') > 0, 'bad spec is XRUN_E_INVALID: ' // msg)

  ! ---- a log callback -------------------------------------------------------
  call xrun_ctx_open(logged, log=count_log, log_level=XRUN_LOG_DEBUG, stat=stat, errmsg=msg)
  call check(stat == XRUN_OK, 'context with a log callback: ' // msg)
  call xrun_job_submit_command(again, logged, 'true')
  call xrun_job_wait(again, 30000)
  call xrun_job_free(again)
  call xrun_ctx_close(logged)
  call check(log_lines > 0 .and. empty_log_lines == 0, 'log callback received lines')

  ! ---- lifetime: a job keeps its context alive ------------------------------
  call xrun_job_submit_command(again, ctx, 'echo alive')
  call xrun_ctx_close(ctx)
  call check(.not. xrun_is_open(ctx), 'close resets the context handle')
  call xrun_job_wait(again, 30000, stat=stat)
  call check(stat == XRUN_OK, 'wait after ctx_close')
  call check(xrun_job_state(again) == XRUN_STATE_COMPLETED, 'job outlives ctx_close')
  call xrun_job_read_file(again, 'stdout', text)
  call check(text == 'alive' // achar(10), 'stdout after ctx_close')

  call xrun_job_free(again)
  call xrun_job_free(job)
  call xrun_job_free(failing)
  call xrun_job_free(sleeper)
  call xrun_job_free(parsed_job)
  call xrun_ctx_close(ctx)
end subroutine scenario

end program test_xrun
