#include "fetch/fetcher.hpp"

namespace feedd::fetch {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kNotModified:
      return "not_modified";
    case Outcome::kHttpError:
      return "http_error";
    case Outcome::kNetworkError:
      return "network_error";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kTooLarge:
      return "too_large";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace feedd::fetch
