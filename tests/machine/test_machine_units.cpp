// Walltime and memory texts, and merging resources.
#include "machine/machine.h"
#include "machine/units.h"
#include "test_common.h"

namespace {

void walltime_forms(void**) {
  assert_int_equal(*xrun::parse_walltime_seconds("02:00:00"), 7200);
  assert_int_equal(*xrun::parse_walltime_seconds("1-02:03:04"), 93784);
  assert_int_equal(*xrun::parse_walltime_seconds("90"), 5400);
  assert_int_equal(*xrun::parse_walltime_seconds("100:00:00"), 360000);
  assert_int_equal(*xrun::parse_walltime_seconds("30:00"), 1800);  // Slurm's MM:SS
  assert_int_equal(*xrun::parse_walltime_seconds("1-00"), 86400);
  assert_int_equal(*xrun::parse_walltime_seconds("1-02:30"), 95400);
  for (const char* bad : {"", "0", "00:00:00", "1:2:3", "02:60:00", "1-24:00:00", "2h", "-5",
                          "1-90", "01:60", "1:00:00:00"})
    if (xrun::parse_walltime_seconds(bad)) fail_msg("accepted walltime \"%s\"", bad);
  assert_string_equal(xrun::format_walltime(3725).c_str(), "01:02:05");
  assert_string_equal(xrun::format_walltime(93784).c_str(), "26:03:04");
}

void memory_forms(void**) {
  assert_string_equal(xrun::normalize_memory("64G")->c_str(), "64G");
  assert_string_equal(xrun::normalize_memory("64gb")->c_str(), "64G");
  assert_string_equal(xrun::normalize_memory("4000")->c_str(), "4000M");
  assert_string_equal(xrun::normalize_memory("512k")->c_str(), "512K");
  for (const char* bad : {"", "0", "0G", "G", "1.5G", "64 G", "64GiBB", "-1M", "64Q"})
    if (xrun::normalize_memory(bad)) fail_msg("accepted memory \"%s\"", bad);
  assert_int_equal(xrun::memory_megabytes("64G"), 65536);
  assert_int_equal(xrun::memory_megabytes("500M"), 500);
  assert_int_equal(xrun::memory_megabytes("512K"), 1);
  assert_int_equal(xrun::memory_megabytes("2T"), 2097152);
}

void job_resources_override_the_machine(void**) {
  xrun::Resources machine;
  machine.nodes = 2;
  machine.partition = "standard";
  machine.walltime = "01:00:00";
  xrun::Resources job;
  job.walltime = "00:10:00";
  job.qos = "debug";
  xrun::Resources merged = machine.merged_with(job);
  assert_int_equal(*merged.nodes, 2);
  assert_string_equal(merged.partition->c_str(), "standard");
  assert_string_equal(merged.walltime->c_str(), "00:10:00");
  assert_string_equal(merged.qos->c_str(), "debug");
  assert_false(merged.account.has_value());
  assert_true(merged != machine);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(walltime_forms),
      cmocka_unit_test(memory_forms),
      cmocka_unit_test(job_resources_override_the_machine),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
