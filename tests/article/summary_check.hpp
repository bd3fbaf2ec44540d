#pragma once
// The contract of RewriteResult::summary, checked by every test that rewrites HTML.
#include <gtest/gtest.h>

#include <string>

#include "article/article.hpp"

namespace feedd::article {

// rewrite_html's summary is html_to_text of the HTML it returns, byte for byte.
inline ::testing::AssertionResult summary_matches(const RewriteResult& r) {
  const std::string expected = html_to_text(r.html, kSummaryBytes);
  if (r.summary == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "summary [" << r.summary << "]\n   html_to_text ["
                                       << expected << "]\n   of the HTML [" << r.html << "]";
}

}  // namespace feedd::article
