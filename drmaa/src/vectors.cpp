// drmaa_get_next_* / drmaa_get_num_* / drmaa_release_*.
#include "vectors.h"

#include "api.h"
#include "common.h"

namespace {

int next_of(xdrmaa_string_vector* v, char* value, size_t value_len) {
  if (!v) return DRMAA_ERRNO_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(v->mutex);
  if (v->next >= v->items.size()) return DRMAA_ERRNO_NO_MORE_ELEMENTS;
  xdrmaa::put(value, value_len, v->items[v->next++]);
  return DRMAA_ERRNO_SUCCESS;
}

int size_of(xdrmaa_string_vector* v, size_t* size) {
  if (!v || !size) return DRMAA_ERRNO_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(v->mutex);
  *size = v->items.size();
  return DRMAA_ERRNO_SUCCESS;
}

}  // namespace

extern "C" {

int drmaa_get_next_attr_name(drmaa_attr_names_t* values, char* value, size_t value_len) {
  return next_of(values, value, value_len);
}
int drmaa_get_next_attr_value(drmaa_attr_values_t* values, char* value, size_t value_len) {
  return next_of(values, value, value_len);
}
int drmaa_get_next_job_id(drmaa_job_ids_t* values, char* value, size_t value_len) {
  return next_of(values, value, value_len);
}
int drmaa_get_num_attr_names(drmaa_attr_names_t* values, size_t* size) { return size_of(values, size); }
int drmaa_get_num_attr_values(drmaa_attr_values_t* values, size_t* size) { return size_of(values, size); }
int drmaa_get_num_job_ids(drmaa_job_ids_t* values, size_t* size) { return size_of(values, size); }
void drmaa_release_attr_names(drmaa_attr_names_t* values) { delete values; }
void drmaa_release_attr_values(drmaa_attr_values_t* values) { delete values; }
void drmaa_release_job_ids(drmaa_job_ids_t* values) { delete values; }

}  // extern "C"
