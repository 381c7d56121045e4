/* A chat with libengine's C API: one user message per line on standard input, one reply per
 * line on standard output; the KV cache carries the conversation from turn to turn.
 *   chat_c MODEL [TEMPLATE]
 * TEMPLATE is a built-in template name (chatml, llama3, ...); without it, the model's own. */
#include <engine/engine.h>
#include <stdio.h>
#include <string.h>

static int print_piece(void* user, int token, const char* bytes, size_t len) {
  (void)user;
  (void)token;
  fwrite(bytes, 1, len, stdout);
  fflush(stdout);
  return 0; /* non-zero stops the reply */
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL [TEMPLATE]\n", argv[0]);
    return 2;
  }
  engine_generate_options options = engine_generate_options_default();
  options.max_new_tokens = 32;
  options.temperature = 0.0f; /* greedy */

  engine_model* model = NULL;
  engine_tokenizer* tokenizer = NULL;
  engine_chat_template* chat_template = NULL;
  engine_chat* chat = NULL;
  engine_status status = engine_set_log_level(ENGINE_LOG_WARN);
  if (status == ENGINE_OK) status = engine_model_load(argv[1], &model);
  if (status == ENGINE_OK) status = engine_tokenizer_load(argv[1], &tokenizer);
  if (status == ENGINE_OK)
    status = argc > 2 ? engine_chat_template_builtin(argv[2], NULL, NULL, &chat_template)
                      : engine_chat_template_from_file(argv[1], &chat_template);
  if (status == ENGINE_OK)
    status = engine_chat_create(model, tokenizer, chat_template, NULL, 0, &chat);
  char line[4096];
  for (int turn = 1; status == ENGINE_OK && fgets(line, sizeof line, stdin); ++turn) {
    line[strcspn(line, "\r\n")] = '\0';
    engine_chat_result result;
    status = engine_chat_send(chat, line, &options, print_piece, NULL, &result);
    putchar('\n');
    if (status == ENGINE_OK)
      fprintf(stderr, "turn %d: %d prompt tokens, %d from the cache, %d generated\n", turn,
              result.prompt_tokens, result.reused_tokens, result.generated_tokens);
  }
  if (status != ENGINE_OK) fprintf(stderr, "%s: %s\n", argv[0], engine_last_error());
  engine_chat_free(chat); /* freeing NULL is fine */
  engine_chat_template_free(chat_template);
  engine_tokenizer_free(tokenizer);
  engine_model_free(model);
  return status == ENGINE_OK ? 0 : 1;
}
