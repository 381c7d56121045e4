#include "server/tokenize_route.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "server/api_error.hpp"

namespace engine::server {

using nlohmann::json;

namespace {

bool flag(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return false;
  if (!body[key].is_boolean()) throw invalid_field(key, fmt::format("'{}' must be a boolean", key));
  return body[key].get<bool>();
}

}  // namespace

json tokenize(const json& body, const Tokenizer& tokenizer) {
  if (!body.is_object() || !body.contains("content") || !body["content"].is_string())
    throw invalid_field("content", "'content' must be a string");
  const bool add_special = flag(body, "add_special");
  const bool with_pieces = flag(body, "with_pieces");
  const std::vector<int> ids =
      tokenizer.encode(body["content"].get<std::string>(), add_special, /*add_eos=*/false);
  json tokens = json::array();
  for (const int id : ids)
    tokens.push_back(with_pieces ? json{{"id", id}, {"piece", tokenizer.piece(id)}} : json(id));
  return {{"tokens", tokens}};
}

json detokenize(const json& body, const Tokenizer& tokenizer) {
  if (!body.is_object() || !body.contains("tokens") || !body["tokens"].is_array())
    throw invalid_field("tokens", "'tokens' must be a list of token ids");
  std::vector<int> ids;
  for (const json& id : body["tokens"]) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
        id.get<std::int64_t>() >= tokenizer.vocab_size())
      throw invalid_field(
          "tokens", fmt::format("token ids must be integers in [0, {})", tokenizer.vocab_size()));
    ids.push_back(id.get<int>());
  }
  return {{"content", tokenizer.decode(ids)}};
}

}  // namespace engine::server
