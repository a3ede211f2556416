// Hostile files through the real file path: empty, binary, and lines of
// 10 MB. Every parser must give a result (or refuse under "auto") and keep
// its memory bounded.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "corpus_util.h"
#include "parse/line_prefilter.h"
#include "parse/parse.h"
#include "parse/result_data.h"
#include "test_common.h"
#include "util/error.h"

namespace {

const char* kParsers[] = {"qe", "vasp", "vasp-outcar", "vasp-oszicar", "vasp-xml", "vasp-log", "crystal"};

long max_rss_kb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Writes `count` bytes of `c` in small chunks (the test itself must not hold
// the 10 MB in memory, or the RSS check would measure it).
void write_run(FILE* f, char c, size_t count) {
  char chunk[4096];
  memset(chunk, c, sizeof chunk);
  while (count > 0) {
    size_t n = count < sizeof chunk ? count : sizeof chunk;
    fwrite(chunk, 1, n, f);
    count -= n;
  }
}

std::string temp_path(const char* name) { return std::string(xrun_test_tempdir("parse")) + "/" + name; }

// Removes the file and the temporary directory holding it.
void remove_temp(const std::string& path) {
  remove(path.c_str());
  remove(path.substr(0, path.rfind('/')).c_str());
}

void test_empty_file(void** state) {
  (void)state;
  const std::string path = temp_path("empty.out");
  xrun_test_write_file(path.c_str(), "");
  bool refused = false;
  try {
    xrun::parse::parse_file(path, "auto");
  } catch (const xrun::Error& e) {
    refused = e.status() == XRUN_E_PARSE;
  }
  assert_true(refused);
  for (const char* p : kParsers) {
    auto r = xrun::parse::parse_file(path, p);
    assert_string_equal(r->diagnosis().c_str(), "truncated_output");
  }
  remove_temp(path);
}

void test_ten_megabyte_lines(void** state) {
  (void)state;
  const std::string original = read_whole_file(corpus_dir() + "/qe/generated/si_scf.out");
  const size_t cut = original.find("!    total energy");
  assert_true(cut != std::string::npos);
  const std::string path = temp_path("long_lines.out");
  FILE* f = fopen(path.c_str(), "wb");
  assert_non_null(f);
  fwrite(original.data(), 1, cut, f);
  write_run(f, 'x', 10u << 20);  // one 10 MB line
  fputc('\n', f);
  write_run(f, ' ', 10u << 20);  // a 10 MB line of blanks
  fputc('\n', f);
  fwrite(original.data() + cut, 1, original.size() - cut, f);
  fclose(f);

  const long before = max_rss_kb();
  auto r = xrun::parse::parse_file(path, "auto");
  const long grown_kb = max_rss_kb() - before;
  // The lines around the long ones are read as before.
  assert_string_equal(r->diagnosis().c_str(), "ok");
  double e = 0;
  assert_true(r->number("total_energy_native", &e));
  assert_true(e == -15.83916744);
  fprintf(stderr, "RSS grew by %ld kB while parsing 20 MB of long lines\n", grown_kb);
  assert_true(grown_kb < 16 * 1024);
  remove_temp(path);
}

void test_binary_garbage(void** state) {
  (void)state;
  const std::string path = temp_path("garbage.bin");
  FILE* out = fopen(path.c_str(), "wb");
  assert_non_null(out);
  uint64_t x = 88172645463325252ull;  // xorshift: reproducible garbage
  for (size_t i = 0; i < (8u << 20) / 8; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    fwrite(&x, 8, 1, out);
  }
  fclose(out);
  for (const char* p : kParsers) {
    auto r = xrun::parse::parse_file(path, p);
    assert_true(xrun::parse::diagnosis_is_failure(r->diagnosis()));
    assert_non_null(r->to_json().c_str());
  }
  remove_temp(path);
}

// Inputs the fuzzer once broke (tests/parse/fuzz_regressions): each parser
// must give a result whose JSON survives its own round trip.
void test_fuzz_regressions(void** state) {
  (void)state;
  const std::string dir = std::string(xrun_test_env("XRUN_SOURCE_DIR")) + "/tests/parse/fuzz_regressions";
  int n = 0;
  for (const char* name : {"empty_version_outcar", "empty_version_qe"}) {
    const std::string data = read_whole_file(dir + "/" + name);
    assert_true(data.size() > 0);
    for (const char* p : kParsers) {
      auto r = xrun::parse::parse_buffer(data, p);
      const std::string json = r->to_json();
      assert_string_equal(xrun::parse::result_from_json(json)->to_json().c_str(), json.c_str());
      ++n;
    }
  }
  assert_int_equal(n, 14);
}

}  // namespace

// The line prefilter (line_prefilter.h) only skips lines no parser acts
// on: every corpus file and every fixture gives the same result with it
// and without it.
void test_prefilter_changes_nothing(void** state) {
  (void)state;
  std::vector<std::string> files;
  for (const std::string& base : {corpus_dir(), std::string(xrun_test_env("XRUN_SOURCE_DIR")) + "/tests/parse/fixtures"}) {
    const std::string cmd = "find '" + base + "' -type f ! -name '*.json' ! -name '*.md' ! -name '*.py' ! -name '*.UPF' ! -name '*.in'";
    FILE* p = popen(cmd.c_str(), "r");
    assert_non_null(p);
    char buf[4096];
    while (fgets(buf, sizeof buf, p)) {
      std::string f(buf);
      if (!f.empty() && f.back() == '\n') f.pop_back();
      files.push_back(f);
    }
    pclose(p);
  }
  assert_true(files.size() > 100);
  int compared = 0;
  for (const auto& f : files) {
    for (const char* parser : {"qe", "vasp", "crystal"}) {
      std::string with, without;
      xrun::parse::LinePrefilter::set_enabled(true);
      with = xrun::parse::parse_file(f, parser)->to_json();
      xrun::parse::LinePrefilter::set_enabled(false);
      without = xrun::parse::parse_file(f, parser)->to_json();
      xrun::parse::LinePrefilter::set_enabled(true);
      if (with != without) fprintf(stderr, "%s (%s): prefilter changes the result\n", f.c_str(), parser);
      assert_true(with == without);
      ++compared;
    }
  }
  fprintf(stderr, "%d parses compared with and without the prefilter\n", compared);
}

// The last non-blank line of a cut-off output is named in its diagnosis
// even when blank lines fill the read blocks after it (the reader must copy
// it before reusing its block).
void test_last_line_across_blocks(void** state) {
  (void)state;
  // A directory of its own: parse_file also reads a CRASH file beside it.
  char dir[] = "/tmp/xrun-test-last-line-XXXXXX";
  assert_non_null(mkdtemp(dir));
  const std::string path = std::string(dir) + "/pw.out";
  int64_t wanted_line = 2;
  {
    std::string text = "     Program PWSCF v.6.7 starts on  1Jan2021\n";
    while (text.size() < 100 * 1024) {
      text += "     -5.6235   4.7615   5.4983   6.2687\n";  // skipped lines
      ++wanted_line;
    }
    text += "     total energy              =     -15.84 Ry\n";                         // a wanted line
    text += std::string(3 << 20, '\n');                                                  // 3 MiB of blank lines
    FILE* f = fopen(path.c_str(), "w");
    assert_non_null(f);
    fwrite(text.data(), 1, text.size(), f);
    fclose(f);
  }
  auto r = xrun::parse::parse_file(path, "qe");
  unlink(path.c_str());
  rmdir(dir);
  assert_string_equal(r->diagnosis().c_str(), "truncated_output");
  assert_true(r->diagnosis_text().find("last line:      total energy              =     -15.84 Ry") != std::string::npos);
  assert_int_equal(r->diagnosis_line(), wanted_line);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_file),
      cmocka_unit_test(test_ten_megabyte_lines),
      cmocka_unit_test(test_binary_garbage),
      cmocka_unit_test(test_fuzz_regressions),
      cmocka_unit_test(test_prefilter_changes_nothing),
      cmocka_unit_test(test_last_line_across_blocks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
