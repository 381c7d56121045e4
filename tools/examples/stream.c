/* Streams a greedy continuation of a prompt with libengine's C API:
 *   stream_c MODEL TOKENIZER [PROMPT] [MAX_NEW_TOKENS] */
#include <engine/engine.h>
#include <stdio.h>
#include <stdlib.h>

static int print_piece(void* user, int token, const char* bytes, size_t len) {
  (void)user;
  (void)token;
  fwrite(bytes, 1, len, stdout);
  fflush(stdout);
  return 0; /* non-zero stops the generation */
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL TOKENIZER [PROMPT] [MAX_NEW_TOKENS]\n", argv[0]);
    return 2;
  }
  const char* prompt = argc > 3 ? argv[3] : "Once upon a time";
  engine_generate_options options = engine_generate_options_default();
  options.max_new_tokens = argc > 4 ? atoi(argv[4]) : 64;
  options.temperature = 0.0f; /* greedy */

  engine_model* model = NULL;
  engine_tokenizer* tokenizer = NULL;
  engine_session* session = NULL;
  engine_generate_result result;
  engine_status status = engine_set_log_level(ENGINE_LOG_WARN);
  if (status == ENGINE_OK) status = engine_model_load(argv[1], &model);
  if (status == ENGINE_OK) status = engine_tokenizer_load(argv[2], &tokenizer);
  if (status == ENGINE_OK) status = engine_session_create(model, &session);
  if (status == ENGINE_OK) {
    fputs(prompt, stdout);
    status = engine_generate(session, tokenizer, prompt, &options, print_piece, NULL, &result);
    putchar('\n');
  }
  if (status == ENGINE_OK)
    fprintf(stderr, "%d tokens\n", result.generated_tokens);
  else
    fprintf(stderr, "%s: %s\n", argv[0], engine_last_error());
  engine_session_free(session); /* freeing NULL is fine */
  engine_tokenizer_free(tokenizer);
  engine_model_free(model);
  return status == ENGINE_OK ? 0 : 1;
}
