// POST /v1/completions and /v1/chat/completions: the request checked and turned into jobs, the
// jobs queued, and their results written back whole or as Server-Sent Events.
#pragma once

#include <httplib.h>

#include <memory>

#include "server/backend.hpp"
#include "server/completion_request.hpp"
#include "server/responses_in_flight.hpp"

namespace engine::server {

/// Answers one completion request. Throws ApiError for a bad request (400), an unknown model
/// (404) or a full queue (503); once the jobs are queued the answer is 200 and its body is
/// written as they run. A client that goes away cancels them. The response counts in
/// `in_flight` from the start until its body is written.
void handle_completion(const httplib::Request& request, httplib::Response& response,
                       Endpoint endpoint, std::shared_ptr<const Backend> backend,
                       double timeout_seconds, ResponsesInFlight& in_flight);

}  // namespace engine::server
