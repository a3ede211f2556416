// Job ids: ULIDs (26 characters of Crockford base32, time-ordered), so ids
// sort by creation and can be given to a scheduler as a job name/comment.
#pragma once
#include <string>
#include <string_view>

namespace xrun {

std::string new_job_id();
bool looks_like_job_id(std::string_view text);

}  // namespace xrun
