// Batched submission: one shell program makes N job dirs, writes N
// scripts byte for byte and runs N submit commands, run by a real /bin/sh
// through the local transport; each submit's result comes back apart.
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fixture_util.h"
#include "scheduler/submit_batch.h"
#include "transport/local.h"
#include "util/error.h"
#include "util/shell_quote.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

using namespace xrun;

static std::string slurp(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) return "<missing>";
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  fclose(f);
  return s;
}

static void test_scripts_and_results(void**) {
  std::string base = xrun_test_tempdir("batch");
  remove("/tmp/xrun-pwned");
  std::vector<BatchedSubmission> items = {
      {"ok", base + "/a", base + "/a/job.sh", "#!/bin/bash\necho a\n", "echo 42; echo 'warn' >&2"},
      {"bad", base + "/b", base + "/b/job.sh", "#!/bin/bash\n", "echo oops >&2; exit 3"},
      {"hostile", base + "/it's $(touch /tmp/xrun-pwned) `x`", base + "/it's $(touch /tmp/xrun-pwned) `x`/job.sh",
       "#!/bin/bash\necho '$(touch /tmp/xrun-pwned)' \"$HOME\" `x`\nXRUN_SCRIPT_EOF\nXRUN_SCRIPT_EOF_0\n",
       "cat > /dev/null; echo 7"},  // reads stdin: it must get /dev/null, not the program
      {"nodir", "/proc/xrun-no/such", "/proc/xrun-no/such/job.sh", "x\n", "echo never"},
      {"after", base + "/c", base + "/c/job.sh", "#!/bin/sh\n", "echo 43"},
  };
  std::string program = submit_batch_program(items);
  LocalTransport local;
  CommandResult r = local.run(kSubmitBatchCommand, program);
  assert_int_equal(r.exit_status, 0);
  auto results = split_submit_batch_output(r);
  assert_int_equal(results.size(), 5);
  assert_int_equal(results["ok"].exit_status, 0);
  assert_string_equal(results["ok"].out.c_str(), "42\n");
  assert_string_equal(results["ok"].err.c_str(), "warn\n");
  assert_int_equal(results["bad"].exit_status, 3);
  assert_string_equal(results["bad"].err.c_str(), "oops\n");
  assert_string_equal(results["hostile"].out.c_str(), "7\n");
  assert_int_equal(results["nodir"].exit_status, 126);
  assert_string_equal(results["after"].out.c_str(), "43\n");
  for (const auto& item : items) {
    if (item.key == "nodir") continue;
    assert_string_equal(slurp(item.script_path).c_str(), item.script.c_str());
    struct stat st;
    assert_int_equal(stat(item.script_path.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
  }
  assert_int_equal(access("/tmp/xrun-pwned", F_OK), -1);
}

static void test_bigger_than_one_argument(void**) {
  // 300 scripts of 1 KiB: past the 128 KiB one `sh -c` argument may hold.
  std::string base = xrun_test_tempdir("batch-big");
  std::vector<BatchedSubmission> items;
  for (int i = 0; i < 300; ++i) {
    std::string dir = base + "/j" + std::to_string(i);
    items.push_back({"k" + std::to_string(i), dir, dir + "/job.sh", "#!/bin/sh\n# " + std::string(1024, 'x') + "\n",
                     "echo " + std::to_string(1000 + i)});
  }
  std::string program = submit_batch_program(items);
  assert_true(program.size() > 128 * 1024);
  LocalTransport local;
  auto results = split_submit_batch_output(local.run(kSubmitBatchCommand, program));
  assert_int_equal(results.size(), 300);
  assert_string_equal(results["k299"].out.c_str(), "1299\n");
}

static void test_cut_output_and_bad_keys(void**) {
  CommandResult cut;
  cut.exit_status = 255;
  cut.out = "@@xrun-job a\n1\n@@xrun-err\n@@xrun-rc 0\n@@xrun-job b\n2\n@@xrun-err\n";
  auto results = split_submit_batch_output(cut);
  assert_int_equal(results.size(), 1);  // b's outcome is unknown
  assert_string_equal(results["a"].out.c_str(), "1\n");
  try {
    submit_batch_program({{"a b", "/x", "/x/j", "", "true"}});
    fail_msg("a key with a space was accepted");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_INVALID);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scripts_and_results),
      cmocka_unit_test(test_bigger_than_one_argument),
      cmocka_unit_test(test_cut_output_and_bad_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
