// One-line, Python-like rendering: None, True, 42, 1.5, "text", b'\x00',
// [..], (..), {"key": ..}, #90([..]). For logs and test failure messages.
#include <charconv>
#include <cmath>
#include <ostream>
#include <string>

#include "crous/value.hpp"
#include "hex.hpp"

namespace crous {

namespace {

void append_escaped(std::string& out, std::string_view s, char quote) {
  out += quote;
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7F || (quote == '\'' && c >= 0x80)) {
      out += "\\x";
      out += detail::hex_byte(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
}

void append_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "nan";
  } else if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
  } else {
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;
    const std::string_view text(buf, static_cast<std::size_t>(end - buf));
    out += text;
    if (text.find_first_of(".en") == std::string_view::npos) out += ".0";
  }
}

template <class Seq>
void append_items(std::string& out, const Seq& seq, char open, char close);

void append_value(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::null: out += "None"; break;
    case Kind::boolean: out += v.as_bool() ? "True" : "False"; break;
    case Kind::integer: out += std::to_string(v.as_int()); break;
    case Kind::floating: append_float(out, v.as_float()); break;
    case Kind::string: append_escaped(out, v.as_string(), '"'); break;
    case Kind::bytes: {
      const Bytes& b = v.as_bytes();
      out += 'b';
      append_escaped(out, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), '\'');
      break;
    }
    case Kind::list: append_items(out, v.as_list(), '[', ']'); break;
    case Kind::tuple: append_items(out, v.as_tuple(), '(', ')'); break;
    case Kind::dict: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.as_dict()) {
        if (!first) out += ", ";
        first = false;
        append_escaped(out, key, '"');
        out += ": ";
        append_value(out, item);
      }
      out += '}';
      break;
    }
    case Kind::tagged:
      out += '#';
      out += std::to_string(v.as_tagged().tag());
      out += '(';
      append_value(out, v.as_tagged().value());
      out += ')';
      break;
  }
}

template <class Seq>
void append_items(std::string& out, const Seq& seq, char open, char close) {
  out += open;
  bool first = true;
  for (const Value& item : seq) {
    if (!first) out += ", ";
    first = false;
    append_value(out, item);
  }
  out += close;
}

}  // namespace

std::string Value::debug_string() const {
  std::string out;
  append_value(out, *this);
  return out;
}

std::ostream& operator<<(std::ostream& os, const Value& value) { return os << value.debug_string(); }

}  // namespace crous
