// The SHA-256 that checks exec-streamed transfers, against known vectors.
#include <string>

#include "test_common.h"
#include "transport/ssh/sha256.h"

static void known_vectors(void**) {
  using xrun::ssh::sha256_hex;
  assert_string_equal(sha256_hex("").c_str(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert_string_equal(sha256_hex("abc").c_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_string_equal(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").c_str(),
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  assert_string_equal(sha256_hex(std::string(1000000, 'a')).c_str(),
                      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Incremental updates across block boundaries give the same digest.
  xrun::ssh::Sha256 s;
  std::string data(1000, 'q');
  for (size_t i = 0; i < data.size(); i += 7) s.update(std::string_view(data).substr(i, 7));
  assert_string_equal(s.hex_digest().c_str(), sha256_hex(data).c_str());
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(known_vectors)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
