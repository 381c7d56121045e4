/* libengine's C API: load a model and a tokenizer, open sessions, stream generated text.
 *
 * Every function that can fail returns an engine_status; on failure engine_last_error() holds
 * one human-readable line. Nothing here throws, aborts or crashes on bad input: NULL handles,
 * missing or malformed files and out-of-range options are reported as status codes.
 *
 * Threads: a model and a tokenizer are immutable once loaded and may be shared by any number
 * of threads; a session must be used by one thread at a time.
 */
#ifndef ENGINE_ENGINE_H
#define ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A loaded model (the file's weights read into memory once), shareable across threads.
typedef struct engine_model engine_model;
/// A loaded tokenizer, shareable across threads.
typedef struct engine_tokenizer engine_tokenizer;
/// A model's working state for one generation at a time (its KV cache), reused by every
/// engine_generate() call on it. One thread at a time.
typedef struct engine_session engine_session;

/// Result of every fallible call. The values are stable; the codes after ENGINE_OK mirror
/// engine::ErrorCode in the C++ API.
typedef enum engine_status {
  ENGINE_OK = 0,                      ///< success
  ENGINE_ERROR_INVALID_ARGUMENT = 1,  ///< a NULL handle or pointer, or an option out of range
  ENGINE_ERROR_IO = 2,                ///< a file could not be opened, read or mapped
  ENGINE_ERROR_BAD_FORMAT = 3,        ///< a file's contents are malformed
  ENGINE_ERROR_MISMATCH = 4,          ///< two valid inputs do not fit (tokenizer vs model)
  ENGINE_ERROR_UNSUPPORTED = 5,       ///< valid input this build or CPU cannot handle
  ENGINE_ERROR_CONTEXT_FULL = 6,      ///< the prompt does not fit in the session's context
  ENGINE_ERROR_OUT_OF_MEMORY = 7,     ///< an allocation failed
  ENGINE_ERROR_INTERNAL = 8,          ///< an unexpected failure inside the library (a bug)
} engine_status;

/// Why a generation ended.
typedef enum engine_finish_reason {
  ENGINE_FINISH_EOS = 0,      ///< the model produced BOS or EOS
  ENGINE_FINISH_LENGTH = 1,   ///< max_new_tokens reached
  ENGINE_FINISH_CONTEXT = 2,  ///< the context is full (see engine_session_create_windowed)
  ENGINE_FINISH_STOPPED = 3,  ///< the callback returned non-zero
} engine_finish_reason;

/// Severity threshold for the library's log messages (written to stderr).
typedef enum engine_log_level {
  ENGINE_LOG_TRACE = 0,  ///< everything
  ENGINE_LOG_DEBUG = 1,  ///< debugging detail and above
  ENGINE_LOG_INFO = 2,   ///< the default
  ENGINE_LOG_WARN = 3,   ///< warnings and errors only
  ENGINE_LOG_ERROR = 4,  ///< errors only
  ENGINE_LOG_OFF = 5,    ///< nothing
} engine_log_level;

/// How engine_generate() samples. Start from engine_generate_options_default().
typedef struct engine_generate_options {
  int max_new_tokens;  ///< tokens to generate at most, >= 0 (default 256)
  float temperature;   ///< >= 0 and finite; 0 = greedy (default 1)
  int top_k;           ///< keep the k most likely tokens, >= 0; 0 = all (default 0)
  float top_p;         ///< nucleus mass in (0, 1]; 1 = all (default 0.9)
  uint64_t seed;       ///< same seed, same text, on any thread count (default 0)
} engine_generate_options;

/// What engine_generate() did.
typedef struct engine_generate_result {
  int prompt_tokens;                   ///< tokens the prompt encoded to, BOS included
  int generated_tokens;                ///< tokens passed to the callback (BOS/EOS not counted)
  engine_finish_reason finish_reason;  ///< why it stopped
  double prompt_seconds;               ///< prefill plus the first sample
  double decode_seconds;               ///< the remaining tokens
} engine_generate_result;

/// Called once per generated token with its id and the bytes it decodes to (`len` bytes, not
/// NUL-terminated; a UTF-8 character may be split over consecutive calls). Return 0 to go on,
/// non-zero to stop. `user` is the pointer given to engine_generate().
typedef int (*engine_token_callback)(void* user, int token, const char* bytes, size_t len);

/// "MAJOR.MINOR.PATCH" of the library actually linked (static storage, never NULL).
const char* engine_version(void);

/// The message of the last failed call on this thread, or "" when the last call succeeded.
/// Valid until the next engine_* call on this thread; never NULL.
const char* engine_last_error(void);

/// Loads a llama2.c checkpoint or a GGUF file. On success *out is a new model to release with
/// engine_model_free(); on failure *out is NULL.
engine_status engine_model_load(const char* path, engine_model** out);

/// Releases a model; sessions created from it keep it alive until they are freed. NULL is a
/// no-op.
void engine_model_free(engine_model* model);

/// Loads a tokenizer (llama2.c tokenizer.bin, SentencePiece .model or GGUF). On success *out is
/// a new tokenizer to release with engine_tokenizer_free(); on failure *out is NULL.
engine_status engine_tokenizer_load(const char* path, engine_tokenizer** out);

/// Releases a tokenizer. NULL is a no-op.
void engine_tokenizer_free(engine_tokenizer* tokenizer);

/// Creates a session for `model` (a KV cache sized for its context). On success
/// *out is a new session to release with engine_session_free(); on failure *out is NULL.
engine_status engine_session_create(const engine_model* model, engine_session** out);

/// Creates a session whose attention is a sliding window: each token sees the last `window`
/// positions (>= 1) and the KV cache keeps only those, so engine_generate() runs past the
/// model's context and does not finish with ENGINE_FINISH_CONTEXT. Two exceptions: a window at
/// least the context length is plain causal attention (engine_session_create()), and a model
/// with learned positions (gpt2) still stops at its context. On success *out is a new session
/// to release with engine_session_free(); on failure *out is NULL.
engine_status engine_session_create_windowed(const engine_model* model, int window,
                                             engine_session** out);

/// Releases a session. NULL is a no-op.
void engine_session_free(engine_session* session);

/// The defaults engine_generate() uses when given NULL options.
engine_generate_options engine_generate_options_default(void);

/// Starts a new conversation in `session` (whatever it held is discarded): encodes `prompt`
/// (BOS first), runs it, then generates up to options->max_new_tokens tokens, calling
/// `on_token` (may be NULL) for each. Stops at BOS/EOS, at max_new_tokens, when the context is
/// full (see engine_session_create_windowed) or when the callback returns non-zero. `options` NULL
/// means the defaults; `result` may be NULL. Fails before the model runs with
/// ENGINE_ERROR_INVALID_ARGUMENT (NULL session, tokenizer or prompt; an option out of range),
/// ENGINE_ERROR_MISMATCH (the tokenizer's vocabulary is not the model's) or
/// ENGINE_ERROR_CONTEXT_FULL (the prompt does not fit in the context), and while it runs with
/// ENGINE_ERROR_BAD_FORMAT when the model's logits are not finite (a model whose weights hold
/// NaN; the message names the step); the session stays usable.
engine_status engine_generate(engine_session* session, const engine_tokenizer* tokenizer,
                              const char* prompt, const engine_generate_options* options,
                              engine_token_callback on_token, void* user,
                              engine_generate_result* result);

/// A chat template: renders a conversation into the prompt an instruct model was trained on
/// (a Jinja template, as GGUF files carry in tokenizer.chat_template). Immutable: shareable.
typedef struct engine_chat_template engine_chat_template;
/// A conversation with a model that keeps its KV cache between turns. One thread at a time.
typedef struct engine_chat engine_chat;

/// What engine_chat_send() did.
typedef struct engine_chat_result {
  int prompt_tokens;     ///< tokens of the whole rendered conversation this turn
  int reused_tokens;     ///< of those, already in the chat's KV cache
  int prefilled_tokens;  ///< of those, run through the model this turn
  int generated_tokens;  ///< tokens of the reply passed to the callback
  int dropped_messages;  ///< oldest messages dropped this turn because the context was full
  engine_finish_reason finish_reason;  ///< why the reply stopped
} engine_chat_result;

/// Parses the Jinja chat template `source`, which renders bos_token and eos_token as the given
/// texts (NULL: ""). On success *out is a new template to release with
/// engine_chat_template_free(); a construct the interpreter lacks fails (the message names it
/// and its line:column).
engine_status engine_chat_template_create(const char* source, const char* bos_token,
                                          const char* eos_token, engine_chat_template** out);

/// A built-in template by name: "chatml", "llama2", "llama3", "gemma", "phi3" or "zephyr".
engine_status engine_chat_template_builtin(const char* name, const char* bos_token,
                                           const char* eos_token, engine_chat_template** out);

/// The template a GGUF file carries, with its BOS/EOS token texts; fails with
/// ENGINE_ERROR_INVALID_ARGUMENT when it carries none.
engine_status engine_chat_template_from_file(const char* path, engine_chat_template** out);

/// Releases a template. NULL is a no-op.
void engine_chat_template_free(engine_chat_template* chat_template);

/// Renders `messages_json`, a JSON array of messages ({"role": ..., "content": ...}, any other
/// fields) or an object with "messages" and extra template variables, as Hugging Face's
/// apply_chat_template does; add_generation_prompt non-zero ends with the assistant's header.
/// On success *out is the prompt, NUL-terminated, to release with engine_string_free().
engine_status engine_chat_template_render(const engine_chat_template* chat_template,
                                          const char* messages_json, int add_generation_prompt,
                                          char** out);

/// Releases a string the library returned. NULL is a no-op.
void engine_string_free(char* text);

/// Starts a conversation with `model` in `chat_template`, beginning with the `system` message
/// (NULL or "": none), with a KV cache of its own: the context's, or with `window` >= 1 a
/// sliding window of that many positions (0: none). The chat holds the model and the tokenizer
/// (the template is copied): their handles may be freed first. On success *out is a new chat to
/// release with engine_chat_free().
engine_status engine_chat_create(const engine_model* model, const engine_tokenizer* tokenizer,
                                 const engine_chat_template* chat_template, const char* system,
                                 int window, engine_chat** out);

/// Releases a chat. NULL is a no-op.
void engine_chat_free(engine_chat* chat);

/// Adds the user's message, generates the assistant's reply (each token to `on_token`, which may
/// be NULL and returns non-zero to stop) and adds it too. Only the tokens the turn adds to the
/// rendered conversation are run through the model: the rest are in the KV cache. The template's
/// special-token texts are tokens, the user's text never is. Stops at the model's
/// end-of-generation tokens, max_new_tokens, the callback or a full context; when the
/// conversation does not fit, its oldest turns after the system message are dropped
/// (result->dropped_messages). `options` NULL means the defaults; `result` may be NULL. Fails
/// with ENGINE_ERROR_CONTEXT_FULL when the new message alone does not fit, and the message is
/// not added.
engine_status engine_chat_send(engine_chat* chat, const char* user_text,
                               const engine_generate_options* options,
                               engine_token_callback on_token, void* user,
                               engine_chat_result* result);

/// Forgets the conversation except the system message.
engine_status engine_chat_reset(engine_chat* chat);

/// The conversation so far as a JSON array of {"role", "content"} messages (the replies
/// included), to release with engine_string_free().
engine_status engine_chat_messages(const engine_chat* chat, char** out);

/// Threads the kernels use for calls made from this thread; n <= 0 means one per CPU that no
/// other process keeps busy (engine::set_num_threads).
/// Fails with ENGINE_ERROR_INVALID_ARGUMENT for more than 4x the hardware threads.
engine_status engine_set_num_threads(int n);

/// Drops log messages below `level`, one of engine_log_level (process-wide). An int, so that
/// any value a caller passes is well defined: others fail with ENGINE_ERROR_INVALID_ARGUMENT.
engine_status engine_set_log_level(int level);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // ENGINE_ENGINE_H
