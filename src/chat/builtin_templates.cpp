#include "chat/builtin_templates.hpp"

#include <array>
#include <string>
#include <utility>

#include "engine/error.hpp"

namespace engine {
namespace {

// Each follows its family's published format; a system message goes where the family puts it
// (Llama 2 and Gemma fold it into the first user turn).
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTemplates = {{
    {"chatml",
     "{% for message in messages %}"
     "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
     "{% endfor %}"
     "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"},
    {"llama2",
     "{% if messages and messages[0]['role'] == 'system' %}"
     "{% set system = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}"
     "{% set messages = messages[1:] %}"
     "{% else %}{% set system = '' %}{% endif %}"
     "{% for message in messages %}"
     "{% if message['role'] == 'user' %}"
     "{{ bos_token + '[INST] ' + ((system if loop.first else '') + message['content']) | trim"
     " + ' [/INST]' }}"
     "{% else %}{{ ' ' + message['content'] | trim + ' ' + eos_token }}{% endif %}"
     "{% endfor %}"},
    {"llama3",
     "{{ bos_token }}"
     "{% for message in messages %}"
     "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
     " + message['content'] | trim + '<|eot_id|>' }}"
     "{% endfor %}"
     "{% if add_generation_prompt %}"
     "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"},
    {"gemma",
     "{{ bos_token }}"
     "{% set ns = namespace(system='') %}"
     "{% for message in messages %}"
     "{% if message['role'] == 'system' %}"
     "{% set ns.system = message['content'] | trim + '\\n\\n' %}"
     "{% else %}"
     "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
     "{{ '<start_of_turn>' + role + '\\n' + ns.system + message['content'] | trim"
     " + '<end_of_turn>\\n' }}"
     "{% set ns.system = '' %}"
     "{% endif %}"
     "{% endfor %}"
     "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"},
    {"phi3",
     "{% for message in messages %}"
     "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
     "{% endfor %}"
     "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"},
    {"zephyr",
     "{% for message in messages %}"
     "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}"
     "{% endfor %}"
     "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"},
}};

}  // namespace

std::string_view builtin_template_source(std::string_view name) {
  std::string names;
  for (const auto& [key, source] : kTemplates) {
    if (key == name) return source;
    names += (names.empty() ? "" : ", ") + std::string(key);
  }
  throw Error(ErrorCode::invalid_argument,
              "unknown chat template '" + std::string(name) + "' (built-in: " + names + ")");
}

}  // namespace engine
