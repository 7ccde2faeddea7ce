// Reports what the documentation's snippets compiled into this program and
// fails when a page went missing or the pages that teach the library lost
// their snippets (the extraction would then have checked nothing).
#include <cstdio>
#include <map>
#include <string>

#include "snippet_context.hpp"

namespace {

std::map<std::string, int>& pages() {
  static std::map<std::string, int> registered;
  return registered;
}

}  // namespace

bool crous_docs::register_page(const char* page, int snippets) {
  pages()[page] = snippets;
  return true;
}

int main() {
  int failures = 0;
  for (const auto& [page, snippets] : pages()) std::printf("%s: %d snippets compiled\n", page.c_str(), snippets);
  if (pages().size() != static_cast<std::size_t>(CROUS_DOC_PAGES)) {
    std::printf("expected %d pages, %zu registered\n", CROUS_DOC_PAGES, pages().size());
    ++failures;
  }
  for (const char* page : {"README.md", "docs/client.md", "docs/server.md"}) {
    if (pages()[page] == 0) {
      std::printf("%s: no snippet compiled (markers or fences lost?)\n", page);
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
