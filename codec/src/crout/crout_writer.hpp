#pragma once
// Events -> CROUT text, compact or pretty. Appends to a string; given an
// OutputStream it hands the text over in chunks, so a huge record does not
// sit in memory twice.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crous/crout.hpp"
#include "crout/events.hpp"
#include "crout/token_table.hpp"

namespace crous::detail {

class CroutWriter {
 public:
  CroutWriter(std::string& out, CroutStyle style, const TokenTable& tokens, OutputStream* drain = nullptr);

  // "CROUT1\n" and the token lines; call once, before the root value.
  void begin_document();
  // Hands what is left to the drain stream, if any.
  void finish();

  void null_value();
  void boolean(bool b);
  void integer(std::int64_t n);
  void floating(double d);
  void string(std::string_view s);
  void bytes(std::span<const std::uint8_t> b);
  void begin_list();
  void begin_tuple();
  void begin_dict();
  void begin_tagged(std::uint32_t tag);
  void key(std::string_view k);
  void end();

 private:
  struct Open {
    char closer;  // 0 for tagged, which has no brackets
    bool has_items;
  };
  void before_value();
  void separate(Open& open);
  void open(char opener, char closer);
  void put_length_prefixed(char prefix, std::string_view s);
  template <class T>
  void put_number(T n);
  void put_newline_indent();
  bool is_bare_word(std::string_view k) const noexcept;
  void maybe_drain();

  std::string& out_;
  CroutStyle style_;
  const TokenTable& tokens_;
  OutputStream* drain_;
  std::vector<Open> stack_;
  std::size_t level_ = 0;      // open brackets, for indentation
  bool after_prefix_ = false;  // a key or tag prefix was written; its value follows directly
};
static_assert(EventSink<CroutWriter>);

}  // namespace crous::detail
