// An attempt's corrections as the stores keep them: one JSON array of
// strings in a text column (the same text on SQLite and PostgreSQL).
#pragma once
#include <string>
#include <vector>

#include "util/json.h"

namespace xrun {

inline std::string attempt_corrections_to_json(const std::vector<std::string>& items) {
  json::Ptr array = json::array();
  for (const auto& s : items) cJSON_AddItemToArray(array.get(), cJSON_CreateString(s.c_str()));
  return json::print(array.get());
}

// Text that is not an array of strings reads as no corrections.
inline std::vector<std::string> attempt_corrections_from_json(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  cJSON* root = cJSON_ParseWithLength(text.data(), text.size());
  if (cJSON_IsArray(root))
    for (const cJSON* item = root->child; item; item = item->next)
      if (cJSON_IsString(item)) out.emplace_back(item->valuestring);
  cJSON_Delete(root);
  return out;
}

}  // namespace xrun
