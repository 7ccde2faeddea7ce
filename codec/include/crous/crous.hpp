#pragma once
// Everything in the codec, for convenience.
#include "crous/crout.hpp"
#include "crous/document.hpp"
#include "crous/error.hpp"
#include "crous/flux.hpp"
#include "crous/lazy_reader.hpp"
#include "crous/limits.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/record_scanner.hpp"
#include "crous/record_stream.hpp"
#include "crous/stream.hpp"
#include "crous/streaming_writer.hpp"
#include "crous/value.hpp"
