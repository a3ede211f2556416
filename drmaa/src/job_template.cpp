// drmaa_allocate/delete_job_template, drmaa_set/get_(vector_)attribute,
// drmaa_get_(vector_)attribute_names.
#include "job_template.h"

#include <algorithm>

#include "api.h"
#include "common.h"
#include "native_spec.h"
#include "session.h"
#include "vectors.h"

namespace xdrmaa {

namespace {

bool is_one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return true;
  return false;
}

bool is_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// drmaa_wct_hlimit: "[[h:]m:]s" (the specification's time amount).
bool valid_time_amount(const std::string& v) {
  size_t fields = 0, start = 0;
  while (true) {
    size_t colon = v.find(':', start);
    std::string part = v.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!is_digits(part)) return false;
    ++fields;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return fields <= 3;
}

bool valid_env_entry(const std::string& e) {
  size_t eq = e.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  if (e[0] >= '0' && e[0] <= '9') return false;
  for (size_t i = 0; i < eq; ++i) {
    char c = e[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

void check_scalar(const std::string& name, const std::string& value) {
  if (name == DRMAA_JS_STATE) {
    if (!is_one_of(value, {DRMAA_SUBMISSION_STATE_ACTIVE, DRMAA_SUBMISSION_STATE_HOLD}))
      fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "drmaa_js_state must be \"drmaa_active\" or \"drmaa_hold\", not \"" +
                                                    value + "\"");
  } else if (name == DRMAA_JOIN_FILES) {
    if (!is_one_of(value, {"y", "n"}))
      fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "drmaa_join_files must be \"y\" or \"n\", not \"" + value + "\"");
  } else if (name == DRMAA_BLOCK_EMAIL) {
    if (!is_one_of(value, {"0", "1"}))
      fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "drmaa_block_email must be \"0\" or \"1\", not \"" + value + "\"");
  } else if (name == DRMAA_NATIVE_SPECIFICATION) {
    NativeSpec spec;
    std::string error, members;
    if (!parse_native_spec(value, spec, error) || !native_spec_resources(spec, members, error))
      fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, error);
  } else if (name == DRMAA_WCT_HLIMIT) {
    if (!valid_time_amount(value))
      fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT, "drmaa_wct_hlimit must be [[h:]m:]s, not \"" + value + "\"");
  } else if (name == DRMAA_START_TIME) {
    if (!value.empty())
      fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "drmaa_start_time: xrun cannot delay a job's start");
  }
}

void check_vector(const std::string& name, const std::vector<std::string>& values) {
  if (name == DRMAA_V_ENV) {
    for (const auto& e : values)
      if (!valid_env_entry(e))
        fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT,
             "drmaa_v_env entries are NAME=value with NAME of letters, digits and '_': \"" + e + "\"");
  }
}

bool is_scalar(const std::string& name) {
  const auto& names = scalar_attribute_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_vector(const std::string& name) {
  const auto& names = vector_attribute_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

void check_name(const char* name, bool vector) {
  if (!name) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "attribute name is NULL");
  std::string n = name;
  if (vector ? is_vector(n) : is_scalar(n)) return;
  if (vector ? is_scalar(n) : is_vector(n))
    fail(DRMAA_ERRNO_INVALID_ARGUMENT,
         "\"" + n + "\" is a " + (vector ? "scalar attribute: use drmaa_set_attribute / drmaa_get_attribute"
                                         : "vector attribute: use drmaa_set_vector_attribute / "
                                           "drmaa_get_vector_attribute"));
  fail(DRMAA_ERRNO_INVALID_ARGUMENT, "\"" + n + "\" is not an attribute this implementation supports");
}

}  // namespace

TemplateValues values_of(const drmaa_job_template_s& jt) {
  std::lock_guard<std::mutex> lock(jt.mutex);
  return TemplateValues{jt.scalars, jt.vectors};
}

const std::vector<std::string>& scalar_attribute_names() {
  static const std::vector<std::string> names = {
      DRMAA_REMOTE_COMMAND, DRMAA_JS_STATE,    DRMAA_WD,          DRMAA_JOB_CATEGORY,
      DRMAA_NATIVE_SPECIFICATION, DRMAA_BLOCK_EMAIL, DRMAA_START_TIME, DRMAA_JOB_NAME,
      DRMAA_INPUT_PATH,     DRMAA_OUTPUT_PATH, DRMAA_ERROR_PATH,  DRMAA_JOIN_FILES,
      DRMAA_WCT_HLIMIT};
  return names;
}

const std::vector<std::string>& vector_attribute_names() {
  static const std::vector<std::string> names = {DRMAA_V_ARGV, DRMAA_V_ENV, DRMAA_V_EMAIL};
  return names;
}

}  // namespace xdrmaa

using namespace xdrmaa;

extern "C" {

int drmaa_allocate_job_template(drmaa_job_template_t** jt, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    *jt = nullptr;
    current_session();
    *jt = new drmaa_job_template_t;
  });
}

// Allowed after drmaa_exit too: a client that keeps a template past its
// session (python-drmaa's context managers can) must be able to free it.
int drmaa_delete_job_template(drmaa_job_template_t* jt, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    delete jt;
  });
}

int drmaa_set_attribute(drmaa_job_template_t* jt, const char* name, const char* value, char* error_diagnosis,
                        size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    current_session();
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    check_name(name, false);
    if (!value) fail(DRMAA_ERRNO_INVALID_ARGUMENT, std::string("value of ") + name + " is NULL");
    check_scalar(name, value);
    std::lock_guard<std::mutex> lock(jt->mutex);
    jt->scalars[name] = value;
  });
}

int drmaa_get_attribute(drmaa_job_template_t* jt, const char* name, char* value, size_t value_len,
                        char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    current_session();
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    check_name(name, false);
    if (!value || value_len == 0) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "value buffer is NULL or empty");
    std::lock_guard<std::mutex> lock(jt->mutex);
    auto it = jt->scalars.find(name);
    put(value, value_len, it == jt->scalars.end() ? std::string() : it->second);
  });
}

int drmaa_set_vector_attribute(drmaa_job_template_t* jt, const char* name, const char* value[],
                               char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    current_session();
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    check_name(name, true);
    if (!value) fail(DRMAA_ERRNO_INVALID_ARGUMENT, std::string("value of ") + name + " is NULL");
    std::vector<std::string> values;
    for (size_t i = 0; value[i]; ++i) {
      if (i >= 100000) fail(DRMAA_ERRNO_INVALID_ARGUMENT, std::string(name) + ": more than 100000 values");
      values.emplace_back(value[i]);
    }
    check_vector(name, values);
    std::lock_guard<std::mutex> lock(jt->mutex);
    jt->vectors[name] = std::move(values);
  });
}

int drmaa_get_vector_attribute(drmaa_job_template_t* jt, const char* name, drmaa_attr_values_t** values,
                               char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (values) *values = nullptr;
    current_session();
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    check_name(name, true);
    if (!values) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "values is NULL");
    std::vector<std::string> copy;
    {
      std::lock_guard<std::mutex> lock(jt->mutex);
      auto it = jt->vectors.find(name);
      if (it != jt->vectors.end()) copy = it->second;
    }
    *values = new_vector<drmaa_attr_values_t>(std::move(copy));
  });
}

int drmaa_get_attribute_names(drmaa_attr_names_t** values, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!values) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "values is NULL");
    *values = nullptr;
    current_session();
    *values = new_vector<drmaa_attr_names_t>(scalar_attribute_names());
  });
}

int drmaa_get_vector_attribute_names(drmaa_attr_names_t** values, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!values) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "values is NULL");
    *values = nullptr;
    current_session();
    *values = new_vector<drmaa_attr_names_t>(vector_attribute_names());
  });
}

}  // extern "C"
