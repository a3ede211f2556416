// Job templates: the attributes a client sets, checked as they are set
// (docs/DRMAA.md lists each one and what xrun does with it).
#pragma once
#include <map>
#include <mutex>
#include <string>
#include <vector>

struct drmaa_job_template_s {
  mutable std::mutex mutex;
  std::map<std::string, std::string> scalars;
  std::map<std::string, std::vector<std::string>> vectors;
};

namespace xdrmaa {

// A consistent copy of a template's attributes, taken under its lock.
struct TemplateValues {
  std::map<std::string, std::string> scalars;
  std::map<std::string, std::vector<std::string>> vectors;
  std::string scalar(const std::string& name) const {
    auto it = scalars.find(name);
    return it == scalars.end() ? std::string() : it->second;
  }
  std::vector<std::string> vector(const std::string& name) const {
    auto it = vectors.find(name);
    return it == vectors.end() ? std::vector<std::string>() : it->second;
  }
};

TemplateValues values_of(const drmaa_job_template_s& jt);

// The supported scalar and vector attribute names, in the order
// drmaa_get_attribute_names lists them.
const std::vector<std::string>& scalar_attribute_names();
const std::vector<std::string>& vector_attribute_names();

}  // namespace xdrmaa
