# Compiler settings as INTERFACE targets: link them, never edit global flags.

add_library(tandem_warnings INTERFACE)
target_compile_options(tandem_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough)

# ASan + UBSan in the Debug build.
add_library(tandem_sanitizers INTERFACE)
target_compile_options(tandem_sanitizers INTERFACE
  $<$<CONFIG:Debug>:-fsanitize=address,undefined -fno-omit-frame-pointer>)
target_link_options(tandem_sanitizers INTERFACE
  $<$<CONFIG:Debug>:-fsanitize=address,undefined>)

add_library(tandem_settings INTERFACE)
target_link_libraries(tandem_settings INTERFACE tandem_warnings tandem_sanitizers)
target_include_directories(tandem_settings INTERFACE ${PROJECT_SOURCE_DIR}/src)
