// libengine: a Transformer decoder inference engine. Include this one header.
#pragma once

#include "engine/attention/mask.hpp"
#include "engine/convert.hpp"
#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "engine/generation/sampler.hpp"
#include "engine/log.hpp"
#include "engine/model/config.hpp"
#include "engine/model/kv_cache.hpp"
#include "engine/model/model.hpp"
#include "engine/model/session.hpp"
#include "engine/ops/isa.hpp"
#include "engine/ops/masked_softmax.hpp"
#include "engine/runtime.hpp"
#include "engine/tokenizer.hpp"
#include "engine/version.hpp"
