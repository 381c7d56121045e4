// Our SentencePiece BPE against the real libsentencepiece: tok512.model as shipped, models built
// here (the Llama 2 vocabulary of tokenizer.bin, user-defined and unused pieces), on random text.
// Also the .model reader's refusal of models it cannot run.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "test_paths.hpp"
#include "tokenizer/llama2c_tokenizer_file.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "tokenizer/sentencepiece_model_file.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

constexpr int kRandomTexts = 400;

// Words, whitespace runs, multi-byte UTF-8 and malformed UTF-8 (which SentencePiece replaces by
// U+FFFD byte by byte).
constexpr std::array<std::string_view, 24> kWords = {
    "Once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily", "cat", "the",
    "and",  "ran",  "!", ".",    ",",     "'s",  "\"Hi\"", "123",  "é",     "中文", "😀",   "ñandú"};
constexpr std::array<std::string_view, 7> kWhitespace = {" ", " ", "  ", "   ", "\t", "\n", "\r\n"};
constexpr std::array<std::string_view, 4> kMalformed = {"\xFF", "\xC3", "\xED\xA0\x80", "\xF0\x9F"};

// Any mix of the fragments above: extra whitespace, leading/trailing spaces, malformed bytes.
std::string random_text(std::mt19937& rng) {
  std::string text;
  const int count = std::uniform_int_distribution<int>(0, 12)(rng);
  for (int i = 0; i < count; ++i) {
    const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
    if (kind < 6) {
      text += kWords[rng() % kWords.size()];
    } else if (kind < 9) {
      text += kWhitespace[rng() % kWhitespace.size()];
    } else {
      text += kMalformed[rng() % kMalformed.size()];
    }
  }
  return text;
}

// Words joined by single spaces or by a tab/newline: nothing remove_extra_whitespaces would drop.
std::string random_plain_text(std::mt19937& rng) {
  std::string text;
  const int count = std::uniform_int_distribution<int>(1, 10)(rng);
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += rng() % 5 == 0 ? "\n" : " ";
    text += kWords[rng() % kWords.size()];
  }
  return text;
}

std::vector<int> reference_ids(const sentencepiece::SentencePieceProcessor& sp,
                               std::string_view text) {
  std::vector<int> ids;
  EXPECT_TRUE(sp.Encode(text, &ids).ok());
  return ids;
}

void expect_same_ids_as_reference(const Tokenizer& ours,
                                  const sentencepiece::SentencePieceProcessor& sp,
                                  std::string (*make_text)(std::mt19937&)) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < kRandomTexts; ++i) {
    const std::string text = make_text(rng);
    SCOPED_TRACE(testing::Message() << "text " << i << ": \"" << text << "\"");
    ASSERT_EQ(ours.encode(text, false, false), reference_ids(sp, text));
  }
}

// Protobuf encoding, just enough to build ModelProto files.
class ProtoWriter {
 public:
  ProtoWriter& varint(int field, std::uint64_t value) {
    put_varint(static_cast<std::uint64_t>(field) << 3);
    put_varint(value);
    return *this;
  }
  ProtoWriter& fixed32(int field, float value) {
    put_varint(static_cast<std::uint64_t>(field) << 3 | 5);
    data_.append(reinterpret_cast<const char*>(&value), sizeof value);
    return *this;
  }
  ProtoWriter& bytes(int field, std::string_view value) {
    put_varint(static_cast<std::uint64_t>(field) << 3 | 2);
    put_varint(value.size());
    data_ += value;
    return *this;
  }
  ProtoWriter& message(int field, const ProtoWriter& value) { return bytes(field, value.data_); }
  const std::string& data() const { return data_; }

 private:
  void put_varint(std::uint64_t value) {
    for (; value >= 0x80; value >>= 7) data_ += static_cast<char>(value | 0x80);
    data_ += static_cast<char>(value);
  }
  std::string data_;
};

struct ModelOptions {
  int model_type = 2;  // BPE
  bool byte_fallback = true;
  bool remove_extra_whitespaces = true;
  std::string_view precompiled_charsmap = {};
};

std::string build_model(std::span<const VocabEntry> entries, const ModelOptions& options) {
  ProtoWriter model;
  for (const VocabEntry& e : entries) {
    model.message(1, ProtoWriter()
                         .bytes(1, e.piece)
                         .fixed32(2, e.score)
                         .varint(3, static_cast<std::uint64_t>(e.type)));
  }
  model.message(2, ProtoWriter()
                       .varint(3, options.model_type)
                       .varint(35, options.byte_fallback)
                       .varint(40, 0)
                       .varint(41, 1)
                       .varint(42, 2));
  model.message(3, ProtoWriter()
                       .bytes(1, options.precompiled_charsmap.empty() ? "identity" : "nmt_nfkc")
                       .bytes(2, options.precompiled_charsmap)
                       .varint(3, 1)
                       .varint(4, options.remove_extra_whitespaces));
  return model.data();
}

std::unique_ptr<Tokenizer> load_model_bytes(const std::string& bytes) {
  const std::span data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return std::make_unique<SentencePieceBpe>(read_sentencepiece_model(data, "built.model"),
                                            "built.model");
}

void load_reference(sentencepiece::SentencePieceProcessor& sp, const std::string& model_bytes) {
  const auto status = sp.LoadFromSerializedProto(model_bytes);
  ASSERT_TRUE(status.ok()) << status.ToString();
}

TEST(TokenizerSentencePieceReference, Tok512ModelEncodesLikeLibSentencePiece) {
  const std::string path = test::require_model("tok512.model");
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(path).ok());
  const auto ours = load_tokenizer(path);
  EXPECT_EQ(ours->vocab_size(), sp.GetPieceSize());
  EXPECT_EQ(ours->bos_id(), sp.bos_id());
  EXPECT_EQ(ours->eos_id(), sp.eos_id());
  expect_same_ids_as_reference(*ours, sp, random_text);
}

TEST(TokenizerSentencePieceReference, Tok512ModelDecodesLikeLibSentencePiece) {
  const std::string path = test::require_model("tok512.model");
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(path).ok());
  const auto ours = load_tokenizer(path);
  std::mt19937 rng(7);
  for (int i = 0; i < kRandomTexts; ++i) {
    const std::string text = random_plain_text(rng);
    const std::vector<int> ids = reference_ids(sp, text);
    std::string expected;
    ASSERT_TRUE(sp.Decode(ids, &expected).ok());
    EXPECT_EQ(ours->decode(ids), expected) << "text " << i << ": \"" << text << "\"";
  }
}

TEST(TokenizerSentencePieceReference, Tok512BinHasTheModelsVocabulary) {
  const auto bin = load_tokenizer(test::require_model("tok512.bin"));
  const auto model = load_tokenizer(test::require_model("tok512.model"));
  ASSERT_EQ(bin->vocab_size(), model->vocab_size());
  EXPECT_EQ(bin->bos_id(), model->bos_id());
  EXPECT_EQ(bin->eos_id(), model->eos_id());
  for (int id = 0; id < bin->vocab_size(); ++id) EXPECT_EQ(bin->piece(id), model->piece(id)) << id;
}

// tok512.bin does not record remove_extra_whitespaces (llama2.c keeps extra whitespace), so the
// two files agree on text that has none.
TEST(TokenizerSentencePieceReference, Tok512BinEncodesLikeTok512ModelWithoutExtraWhitespace) {
  const auto bin = load_tokenizer(test::require_model("tok512.bin"));
  const auto model = load_tokenizer(test::require_model("tok512.model"));
  std::mt19937 rng(99);
  for (int i = 0; i < kRandomTexts; ++i) {
    const std::string text = random_plain_text(rng);
    ASSERT_EQ(bin->encode(text, true, true), model->encode(text, true, true))
        << "text " << i << ": \"" << text << "\"";
  }
}

TEST(TokenizerSentencePieceReference, OnceUponATimeHasTheKnownIds) {
  const std::string path = test::require_model("tok512.model");
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(path).ok());
  std::vector<int> expected = {sp.bos_id()};
  for (const int id : reference_ids(sp, "Once upon a time")) expected.push_back(id);
  EXPECT_EQ(expected, (std::vector<int>{1, 403, 407, 261, 378}));
  const auto bin = load_tokenizer(test::require_model("tok512.bin"));
  EXPECT_EQ(bin->encode("Once upon a time", true, false), expected);
}

// The Llama 2 vocabulary of tokenizer.bin (32000 pieces, byte fallback, extra whitespace kept)
// written as a .model: libsentencepiece on it must agree with our tokenizer.bin reader.
TEST(TokenizerSentencePieceReference, LlamaTokenizerBinEncodesLikeLibSentencePiece) {
  const std::string path = test::require_model("tokenizer.bin");
  const MappedFile file(path);
  const SentencePieceVocabulary vocab = read_llama2c_tokenizer({file.data(), file.size()}, path);
  sentencepiece::SentencePieceProcessor sp;
  load_reference(sp, build_model(vocab.entries, {.remove_extra_whitespaces = false}));
  expect_same_ids_as_reference(*load_tokenizer(path), sp, random_text);
}

// User-defined pieces are never split or merged; an unused piece may form during merging but is
// split back into the two pieces it was made of.
TEST(TokenizerSentencePieceReference, UserDefinedAndUnusedPiecesLikeLibSentencePiece) {
  const std::string space = "\xE2\x96\x81";  // "▁"
  std::vector<VocabEntry> entries = {{"<unk>", 0, PieceType::unknown},
                                     {"<s>", 0, PieceType::control},
                                     {"</s>", 0, PieceType::control}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    entries.push_back({name, 0, PieceType::byte});
  }
  const std::vector<VocabEntry> pieces = {
      {"<sep>", 0, PieceType::user_defined}, {"dc", 0, PieceType::user_defined},
      {"ab", -1, PieceType::normal},         {space + "a", -2, PieceType::normal},
      {"abc", -3, PieceType::unused},        {"cd", -4, PieceType::normal},
      {"abcd", -5, PieceType::normal},       {space + "ab", -1.5f, PieceType::normal},
      {"dd", -6, PieceType::unused},         {"ddd", -7, PieceType::normal},
      {space, -8, PieceType::normal},        {"a", -9, PieceType::normal},
      {"b", -10, PieceType::normal},         {"c", -11, PieceType::normal},
      {"d", -12, PieceType::normal},         {"<", -13, PieceType::normal}};
  entries.insert(entries.end(), pieces.begin(), pieces.end());
  const std::string model = build_model(entries, {});
  sentencepiece::SentencePieceProcessor sp;
  load_reference(sp, model);
  const auto ours = load_model_bytes(model);

  // "abc" is formed from "ab" + "c" and then split back.
  const auto id = [&](std::string_view piece) {
    return static_cast<int>(
        std::find_if(entries.begin(), entries.end(), [&](auto& e) { return e.piece == piece; }) -
        entries.begin());
  };
  EXPECT_EQ(ours->encode("babc", false, false),
            (std::vector<int>{id(space), id("b"), id("ab"), id("c")}));

  constexpr std::array<std::string_view, 10> kParts = {"a", "b",  "c",   "d", "<sep>",
                                                       " ", "  ", "<s>", "é", "<0x41>"};
  // Fixed texts that form the unused pieces ("babc" -> "abc", "dd") and hit "dc" and "<sep>".
  std::vector<std::string> texts = {"babc", "dd", "ddd", "dcd", "a<sep>b", "<sep><sep>", "d dd"};
  std::mt19937 rng(5);
  for (int i = 0; i < kRandomTexts; ++i) {
    std::string text;
    for (int n = rng() % 12; n > 0; --n) text += kParts[rng() % kParts.size()];
    texts.push_back(text);
  }
  for (const std::string& text : texts) {
    SCOPED_TRACE(testing::Message() << "text \"" << text << "\"");
    ASSERT_EQ(ours->encode(text, false, false), reference_ids(sp, text));
  }
}

TEST(TokenizerSentencePieceModel, UnigramModelIsUnsupported) {
  const std::vector<VocabEntry> entries = {{"<unk>", 0, PieceType::unknown}};
  try {
    load_model_bytes(build_model(entries, {.model_type = 1}));
    FAIL() << "expected engine::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("built.model: model_type 1 is not BPE"), std::string::npos)
        << e.what();
  }
}

TEST(TokenizerSentencePieceModel, PrecompiledCharsmapIsUnsupported) {
  const std::vector<VocabEntry> entries = {{"<unk>", 0, PieceType::unknown}};
  try {
    load_model_bytes(build_model(entries, {.precompiled_charsmap = "\x01\x02\x03\x04"}));
    FAIL() << "expected engine::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("normalizer 'nmt_nfkc' needs its precompiled charsmap"),
              std::string::npos)
        << e.what();
  }
}

TEST(TokenizerSentencePieceModel, InvalidVocabulariesAreRejected) {
  const std::vector<std::pair<std::vector<VocabEntry>, std::string>> cases = {
      {{{"a", 0, PieceType::normal}}, "no unknown piece (<unk>): SentencePiece needs one"},
      {{{"<unk>", 0, PieceType::unknown}, {"a", 0, PieceType::normal}, {"a", 0, PieceType::normal}},
       "piece 'a' is defined twice (ids 1 and 2)"},
      {{{"<unk>", 0, PieceType::unknown}, {"", 0, PieceType::normal}}, "piece 1 is empty"},
      {{{"<unk>", 0, PieceType::unknown}, {"<0xG0>", 0, PieceType::byte}},
       "byte piece 1 '<0xG0>' is not of the form <0xXX>"},
      {{{"<unk>", 0, PieceType::unknown}, {"<s>", 0, PieceType::control}},
       "eos_id 2 is out of range for 2 pieces"},
  };
  for (const auto& [entries, message] : cases) {
    try {
      load_model_bytes(build_model(entries, {}));
      ADD_FAILURE() << "expected engine::Error: " << message;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_format);
      EXPECT_EQ(std::string(e.what()), "built.model: " + message);
    }
  }
}

}  // namespace
}  // namespace engine
