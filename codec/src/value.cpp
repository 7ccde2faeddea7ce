#include "crous/value.hpp"

#include <bit>
#include <string>

namespace crous {

std::string_view to_string(Kind kind) noexcept {
  switch (kind) {
    case Kind::null: return "null";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::string: return "string";
    case Kind::bytes: return "bytes";
    case Kind::list: return "list";
    case Kind::tuple: return "tuple";
    case Kind::dict: return "dict";
    case Kind::tagged: return "tagged";
  }
  return "unknown";
}

// ---- Tagged ----
Tagged::Tagged(std::uint32_t tag, Value value) : tag_(tag), value_(std::make_unique<Value>(std::move(value))) {}
Tagged::Tagged(const Tagged& other) : tag_(other.tag_), value_(std::make_unique<Value>(*other.value_)) {}
Tagged& Tagged::operator=(const Tagged& other) {
  if (this != &other) {
    tag_ = other.tag_;
    value_ = std::make_unique<Value>(*other.value_);
  }
  return *this;
}
Tagged::~Tagged() = default;
bool operator==(const Tagged& a, const Tagged& b) { return a.tag_ == b.tag_ && *a.value_ == *b.value_; }

// ---- Value ----
void Value::throw_int_overflow() { throw std::overflow_error("integer does not fit in a signed 64-bit Crous int"); }

void Value::throw_kind(Kind expected) const {
  throw TypeError("expected " + std::string(to_string(expected)) + ", got " + std::string(to_string(kind())));
}

const Value& Value::operator[](std::string_view key) const { return as_dict().at(key); }

Value& Value::operator[](std::string_view key) {
  if (is_null()) data_ = Dict{};
  return as_dict()[key];
}

const Value* Value::find(std::string_view key) const noexcept {
  const Dict* dict = std::get_if<Dict>(&data_);
  return dict ? dict->find(key) : nullptr;
}

const Value& Value::item(std::size_t index) const {
  if (const List* list = std::get_if<List>(&data_)) return list->at(index);
  if (const Tuple* tuple = std::get_if<Tuple>(&data_)) return tuple->at(index);
  throw_kind(Kind::list);
}

Value& Value::item(std::size_t index) { return const_cast<Value&>(std::as_const(*this).item(index)); }

std::size_t Value::size() const {
  switch (kind()) {
    case Kind::string: return std::get<std::string>(data_).size();
    case Kind::bytes: return std::get<Bytes>(data_).size();
    case Kind::list: return std::get<List>(data_).size();
    case Kind::tuple: return std::get<Tuple>(data_).size();
    case Kind::dict: return std::get<Dict>(data_).size();
    default: throw TypeError("size() of a " + std::string(to_string(kind())) + " value");
  }
}

namespace {
template <class T, class Variant>
bool same_alternative(const Variant& a, const Variant& b) noexcept {
  return *std::get_if<T>(&a) == *std::get_if<T>(&b);
}
}  // namespace

// Kind by kind rather than std::variant's ==, which reaches std::get (and
// its bad_variant_access) where this function promises not to throw.
bool operator==(const Value& a, const Value& b) noexcept {
  if (a.data_.index() != b.data_.index()) return false;
  switch (a.kind()) {
    case Kind::null: return true;
    case Kind::boolean: return same_alternative<bool>(a.data_, b.data_);
    case Kind::integer: return same_alternative<std::int64_t>(a.data_, b.data_);
    case Kind::floating:
      // Bitwise: NaN equals NaN, -0.0 differs from 0.0 (FORMAT.md, golden README).
      return std::bit_cast<std::uint64_t>(*std::get_if<double>(&a.data_)) ==
             std::bit_cast<std::uint64_t>(*std::get_if<double>(&b.data_));
    case Kind::string: return same_alternative<std::string>(a.data_, b.data_);
    case Kind::bytes: return same_alternative<Bytes>(a.data_, b.data_);
    case Kind::list: return same_alternative<List>(a.data_, b.data_);
    case Kind::tuple: return same_alternative<Tuple>(a.data_, b.data_);
    case Kind::dict: return same_alternative<Dict>(a.data_, b.data_);
    case Kind::tagged: return same_alternative<Tagged>(a.data_, b.data_);
  }
  return false;
}

// ---- ADL conversions for built-in types ----
void from_crous(const Value& in, bool& out) { out = in.as_bool(); }
void from_crous(const Value& in, std::int64_t& out) { out = in.as_int(); }
void from_crous(const Value& in, int& out) {
  const std::int64_t n = in.as_int();
  if (n < INT32_MIN || n > INT32_MAX) throw TypeError("int " + std::to_string(n) + " does not fit in int");
  out = static_cast<int>(n);
}
void from_crous(const Value& in, double& out) { out = in.as_float(); }
void from_crous(const Value& in, std::string& out) { out = in.as_string(); }
void from_crous(const Value& in, Bytes& out) { out = in.as_bytes(); }
void from_crous(const Value& in, Value& out) { out = in; }

}  // namespace crous
