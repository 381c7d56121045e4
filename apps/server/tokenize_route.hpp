// POST /tokenize and POST /detokenize, with llama.cpp's server's field names:
// {"content": text, "add_special": bool, "with_pieces": bool} -> {"tokens": [...]} and
// {"tokens": [ids]} -> {"content": text}.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/tokenizer.hpp"

namespace engine::server {

/// Throws ApiError (400) for a body of the wrong shape.
nlohmann::json tokenize(const nlohmann::json& body, const Tokenizer& tokenizer);
/// Throws ApiError (400) for a body of the wrong shape or an id outside the vocabulary.
nlohmann::json detokenize(const nlohmann::json& body, const Tokenizer& tokenizer);

}  // namespace engine::server
