# tests/fuzz/influxql.cmake: the InfluxQL parser fuzz target and its corpus
# replay, included from tests/fuzz/CMakeLists.txt.
#
#   fuzz_influxql          libFuzzer binary (only with STRATA_FUZZ, clang):
#                          fuzz_influxql -dict=tests/fuzz/influxql.dict tests/fuzz/corpus/influxql
#   fuzz_replay_influxql   the same checks driven by a plain main(); ctest runs it
#                          over the committed corpus as fuzz-replay.influxql.
set(_influxql_dir ${CMAKE_CURRENT_LIST_DIR})

if(STRATA_FUZZ)
  add_executable(fuzz_influxql ${_influxql_dir}/fuzz_influxql.c)
  target_compile_definitions(fuzz_influxql PRIVATE STRATA_LIBFUZZER=1)
  target_link_libraries(fuzz_influxql PRIVATE strata_query)
  target_link_options(fuzz_influxql PRIVATE -fsanitize=fuzzer)
endif()

add_executable(fuzz_replay_influxql ${_influxql_dir}/fuzz_influxql.c)
target_link_libraries(fuzz_replay_influxql PRIVATE strata_query)
add_test(NAME fuzz-replay.influxql
         COMMAND fuzz_replay_influxql ${_influxql_dir}/corpus/influxql)
set_tests_properties(fuzz-replay.influxql PROPERTIES LABELS fuzz-replay TIMEOUT 600)
