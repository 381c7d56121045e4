// OpenAI's response shapes for completions and chat completions: whole responses, streamed
// chunks, usage and logprobs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "server/completion_request.hpp"
#include "server/job.hpp"

namespace engine::server {

/// What every response and chunk of one request carries.
struct ResponseMeta {
  Endpoint endpoint = Endpoint::completions;
  std::string id;  ///< "cmpl-…" or "chatcmpl-…"
  std::int64_t created = 0;
  std::string model;
};

/// A fresh id and the current time for a request to `endpoint`.
ResponseMeta make_response_meta(Endpoint endpoint, std::string model);

/// Merges `update` into `total`, a choice's result so far (text and logprobs appended).
void accumulate(JobUpdate& total, JobUpdate&& update);

/// The non-streamed response: one choice per entry of `choices` (their last updates merged),
/// and the usage summed over them.
nlohmann::json full_response(const ResponseMeta& meta, std::span<const JobUpdate> choices,
                             bool with_logprobs);

/// A streamed chunk with `update`'s text (and finish_reason on its last); `text_offset` is
/// where the text starts in the choice's completion (completions' logprobs count from it).
/// With include_usage every chunk carries "usage": null.
nlohmann::json stream_chunk(const ResponseMeta& meta, const JobUpdate& update, bool with_logprobs,
                            std::size_t text_offset, bool include_usage);
/// Chat's first chunk of a choice: the assistant role and no content yet.
nlohmann::json role_chunk(const ResponseMeta& meta, int index, bool include_usage);
/// The chunk stream_options.include_usage asks for last: no choices, the usage.
nlohmann::json usage_chunk(const ResponseMeta& meta, int prompt_tokens, int completion_tokens);

/// Compact JSON text; bytes that are not UTF-8 (a model can emit them) become U+FFFD.
std::string dump(const nlohmann::json& value);

}  // namespace engine::server
