! A simulation driver in the style of a Fortran workflow code: submit a
! small batch of calculations, poll them to completion, and read each one's
! total energy through the typed accessors (no JSON parsing in Fortran).
!
!   fortran-driver [OUTPUT_FILE] [N_JOBS]
!
! Each job stands in for a pw.x run by printing OUTPUT_FILE (a Quantum
! ESPRESSO output) after a short, different delay; its spec names the "qe"
! parser, so the library parses the job's stdout when it ends. The specs
! are built with the xrun_spec_* setters, never as JSON text. The default
! machine is used ($XRUN_HOME, else ~/.xrun; the built-in `local` machine
! when nothing is configured). Exits non-zero if any job fails.
program fortran_driver
  implicit none
  ! In a subroutine, so every allocatable is released on return.
  call drive()

contains

subroutine drive()
  use, intrinsic :: iso_c_binding
  use xrun

  interface
     function usleep(us) bind(c, name="usleep") result(r)
       import :: c_int, c_int32_t
       integer(c_int32_t), value :: us
       integer(c_int) :: r
     end function usleep
  end interface

  integer, parameter :: max_jobs = 16
  type(xrun_ctx) :: ctx
  type(xrun_job) :: jobs(max_jobs)
  type(xrun_result) :: res
  type(xrun_spec) :: spec
  character(len=:), allocatable :: output_file, msg
  character(len=32) :: name
  character(len=4096) :: arg
  character(len=16) :: delay
  integer :: n_jobs, i, stat, rounds, n_done, exit_code, failures, state
  real(c_double) :: energy
  logical :: done(max_jobs)

  output_file = ''
  n_jobs = 3
  if (command_argument_count() >= 1) then
     call get_command_argument(1, arg)
     output_file = trim(arg)
  end if
  if (command_argument_count() >= 2) then
     call get_command_argument(2, arg)
     read (arg, *) n_jobs
     n_jobs = max(1, min(n_jobs, max_jobs))
  end if
  if (len(output_file) == 0) then
     call get_environment_variable('XRUN_CORPUS_DIR', arg, status=stat)
     if (stat /= 0) error stop 'usage: fortran-driver OUTPUT_FILE [N_JOBS] (or set XRUN_CORPUS_DIR)'
     output_file = trim(arg) // '/qe/generated/si_scf.out'
  end if

  call xrun_ctx_open(ctx, stat=stat, errmsg=msg)
  if (stat /= XRUN_OK) then
     write (*, '(a)') 'cannot open xrun: ' // msg
     error stop 1
  end if

  ! Submit the batch. Each spec is built field by field: the path and the
  ! delay are arguments of their own, so a path holding quotes, spaces or
  ! backslashes reaches `cat` unchanged -- no JSON, no shell quoting here.
  do i = 1, n_jobs
     write (name, '(a,i0)') 'si-scf-', i
     write (delay, '(f4.1)') 0.2 * i
     call xrun_spec_new(spec)
     call xrun_spec_set_name(spec, trim(name))
     call xrun_spec_add_arg(spec, 'sh')
     call xrun_spec_add_arg(spec, '-c')
     call xrun_spec_add_arg(spec, 'sleep "$1" && cat "$2"')
     call xrun_spec_add_arg(spec, 'sh')
     call xrun_spec_add_arg(spec, trim(adjustl(delay)))
     call xrun_spec_add_arg(spec, output_file)
     call xrun_spec_set_parser(spec, 'qe')
     call xrun_job_submit_spec(jobs(i), ctx, spec, stat=stat, errmsg=msg)
     call xrun_spec_free(spec)
     if (stat /= XRUN_OK) then
        write (*, '(a)') 'submit failed: ' // msg
        error stop 1
     end if
     write (*, '(a,a,a,a)') 'submitted ', xrun_job_id(jobs(i)), ' as ', trim(name)
  end do

  ! Poll: one round per machine refreshes every active job at once, then
  ! each handle re-reads its own state from the store.
  done = .false.
  n_done = 0
  rounds = 0
  do while (n_done < n_jobs)
     rounds = rounds + 1
     if (rounds > 600) error stop 'jobs did not finish within 60 s'
     call xrun_poll(ctx, stat=stat, errmsg=msg)
     if (stat /= XRUN_OK) write (*, '(a)') 'poll: ' // msg
     do i = 1, n_jobs
        if (done(i)) cycle
        call xrun_job_refresh(jobs(i), stat=stat)
        if (xrun_state_is_terminal(xrun_job_state(jobs(i)))) then
           done(i) = .true.
           n_done = n_done + 1
        end if
     end do
     if (n_done < n_jobs) stat = usleep(100000_c_int32_t)
  end do
  write (*, '(a,i0,a)') 'all jobs ended after ', rounds, ' poll rounds'

  failures = 0
  write (*, '(a4,1x,a26,1x,a10,1x,a4,1x,a20,1x,a)') 'job', 'id', 'state', 'exit', 'energy (eV)', 'diagnosis'
  do i = 1, n_jobs
     call xrun_job_exit_code(jobs(i), exit_code, stat=stat)
     if (stat /= XRUN_OK) exit_code = -1
     call xrun_job_result(res, jobs(i), stat=stat, errmsg=msg)
     if (stat == XRUN_OK) call xrun_result_double(res, 'total_energy_ev', energy, stat=stat, errmsg=msg)
     state = xrun_job_state(jobs(i))
     if (stat == XRUN_OK .and. state == XRUN_STATE_COMPLETED) then
        write (*, '(i4,1x,a26,1x,a10,1x,i4,1x,f20.8,1x,a)') i, xrun_job_id(jobs(i)), &
             xrun_state_name(xrun_job_state(jobs(i))), exit_code, energy, xrun_result_diagnosis(res)
     else
        failures = failures + 1
        write (*, '(i4,1x,a26,1x,a10,1x,i4,1x,a)') i, xrun_job_id(jobs(i)), &
             xrun_state_name(xrun_job_state(jobs(i))), exit_code, 'no energy: ' // msg
     end if
     call xrun_result_free(res)
     call xrun_job_free(jobs(i))
  end do
  call xrun_ctx_close(ctx)
  if (failures > 0) error stop 1
end subroutine drive

end program fortran_driver
