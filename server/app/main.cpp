// crous-server: the stock record server (echo, ping, stats, info).
#include "crous/server/service_main.hpp"

int main(int argc, char** argv) { return crous::server::run_service(argc, argv, "crous-server"); }
