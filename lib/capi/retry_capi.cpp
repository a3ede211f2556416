// The caller's retry callback (xrun_set_retry_callback).
#include <optional>

#include "capi/guard.h"
#include "capi/handles.h"
#include "core/retrying.h"

using namespace xrun;
using xrun::capi::guarded;
using xrun::capi::require;

struct xrun_retry {
  std::optional<std::string> spec_json;
};

XRUN_API int xrun_set_retry_callback(xrun_ctx* ctx, xrun_retry_fn fn, void* payload) {
  return guarded([&] {
    require(ctx, "ctx");
    if (!fn) {
      ctx->context->retrying().set_hook(nullptr);
      return;
    }
    ctx->context->retrying().set_hook([fn, payload](const RetryRequest& request) {
      xrun_retry retry;
      const int rc = fn(&retry, request.job_id.c_str(), request.attempt, request.outcome.c_str(),
                        request.diagnosis.c_str(), request.spec_json.c_str(), payload);
      RetryAnswer answer;
      if (rc != 0) {
        answer.action = RetryAnswer::Action::Stop;
      } else if (retry.spec_json) {
        answer.action = RetryAnswer::Action::Replace;
        answer.spec_json = *retry.spec_json;
      }
      return answer;
    });
  });
}

XRUN_API int xrun_retry_set_spec(xrun_retry* retry, const char* spec_json) {
  return guarded([&] {
    require(retry, "retry");
    require(spec_json, "spec_json");
    retry->spec_json = spec_json;
  });
}
