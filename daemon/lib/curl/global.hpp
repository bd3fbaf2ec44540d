#pragma once
// Process-wide libcurl initialisation.
namespace feedd::lib {

// Calls curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process; later calls return at
// once. Thread-safe. Call it before creating any curl handle (CurlEasy/CurlMulti do).
// There is deliberately no matching cleanup: handles may outlive any scope we could tie it to,
// and the OS reclaims everything at exit.
// Throws std::runtime_error if initialisation failed (then, and on every later call).
void curl_global_init_once();

}  // namespace feedd::lib
