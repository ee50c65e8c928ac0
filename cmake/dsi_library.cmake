# dsi_library(NAME DEPS ...): one static library per src/ folder. Sources are the
# folder's *.cpp files minus *_test.cpp; tests are collected into dsi_<name>_test.
function(dsi_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;EXTRA_SOURCES" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(FILTER srcs EXCLUDE REGEX "_test\\.cpp$")
  list(FILTER srcs EXCLUDE REGEX "_fuzz\\.cpp$")
  list(APPEND srcs ${ARG_EXTRA_SOURCES})
  dsi_apply_isa_flags(${srcs})
  add_library(dsi_${name} STATIC ${srcs})
  target_include_directories(dsi_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dsi_${name} PUBLIC ${ARG_DEPS})

  if(DSI_BUILD_TESTS)
    file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
    if(tests)
      add_executable(dsi_${name}_test ${tests})
      target_link_libraries(dsi_${name}_test PRIVATE dsi_${name} dsi_testing GTest::gtest_main)
      add_test(NAME ${name} COMMAND dsi_${name}_test)
      set_tests_properties(${name} PROPERTIES ENVIRONMENT
        "DSI_SOURCE_DIR=${PROJECT_SOURCE_DIR};DSI_BINARY_DIR=${PROJECT_BINARY_DIR}")
    endif()
  endif()
endfunction()
