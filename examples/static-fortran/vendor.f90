! A vendor code written in Fortran that embeds xrun statically: it is
! linked against libxrun.a with the flags `pkg-config --static --libs xrun`
! prints, together with the `xrun` module source installed in
! <prefix>/share/xrun/fortran/xrun.f90. It runs one job on the default
! machine, reads its output, and parses a result if given a file.
!
!   gfortran <prefix>/share/xrun/fortran/xrun.f90 vendor.f90 \
!       $(pkg-config --static --libs xrun) -o vendor
!   ./vendor [QE_OUTPUT]
program vendor
  use, intrinsic :: iso_c_binding
  use xrun
  implicit none
  type(xrun_ctx) :: ctx
  type(xrun_job) :: job
  type(xrun_result) :: res
  character(len=:), allocatable :: out, msg
  character(len=4096) :: arg
  integer :: stat, code
  real(c_double) :: energy

  if (xrun_library_version_number() /= XRUN_VERSION_NUMBER) then
     write (*, '(a)') 'vendor: module and library versions differ: ' // xrun_version()
     error stop 1
  end if
  call xrun_ctx_open(ctx, stat=stat, errmsg=msg)
  if (stat /= XRUN_OK) call die('open', msg)
  call xrun_job_submit_command(job, ctx, 'echo embedded xrun works from Fortran', name='vendor-job', &
       stat=stat, errmsg=msg)
  if (stat /= XRUN_OK) call die('submit', msg)
  call xrun_job_wait(job, 30000, stat=stat, errmsg=msg)
  if (stat /= XRUN_OK) call die('wait', msg)
  call xrun_job_exit_code(job, code, stat=stat, errmsg=msg)
  if (stat /= XRUN_OK) call die('exit code', msg)
  call xrun_job_read_file(job, 'stdout', out)
  write (*, '(a,a,i0,a,a)') xrun_state_name(xrun_job_state(job)), ' (exit ', code, '): ', &
       out(1:len(out) - 1)

  if (command_argument_count() >= 1) then
     call get_command_argument(1, arg)
     call xrun_parse_file(res, trim(arg), stat=stat, errmsg=msg)
     if (stat /= XRUN_OK) call die('parse', msg)
     call xrun_result_double(res, 'total_energy_ev', energy, stat=stat, errmsg=msg)
     if (stat /= XRUN_OK) call die('energy', msg)
     write (*, '(a,a,a,f0.8)') 'parsed ', xrun_result_code(res), ': total energy (eV) ', energy
     call xrun_result_free(res)
  end if
  call xrun_job_free(job)
  call xrun_ctx_close(ctx)
  if (code /= 0) error stop 1

contains

  subroutine die(what, message)
    character(len=*), intent(in) :: what, message
    write (*, '(a)') 'vendor: ' // what // ': ' // message
    error stop 1
  end subroutine die
end program vendor
