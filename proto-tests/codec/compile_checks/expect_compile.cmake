# Compiles one source file (-fsyntax-only) and checks the outcome:
#   cmake -DCOMPILER=... -DSOURCE=... -DINCLUDES=dir,dir [-DDEFINE=NAME]
#         [-DEXPECT_ERROR=regex,regex] -P expect_compile.cmake
# Without EXPECT_ERROR the file must compile. With it, compiling must fail
# and the diagnostics must match every regex (so it fails for the reason
# the test is about, not for any other).
string(REPLACE "," ";" INCLUDES "${INCLUDES}")
string(REPLACE "," ";" EXPECT_ERROR "${EXPECT_ERROR}")
set(args -std=c++20 -fsyntax-only)
foreach(dir ${INCLUDES})
  list(APPEND args -I${dir})
endforeach()
if(DEFINE)
  list(APPEND args -D${DEFINE})
endif()
execute_process(COMMAND ${COMPILER} ${args} ${SOURCE} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT EXPECT_ERROR)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "expected ${SOURCE} to compile; it did not:\n${out}")
  endif()
  return()
endif()
if(result EQUAL 0)
  message(FATAL_ERROR "expected ${SOURCE} (with ${DEFINE}) to fail to compile; it compiled")
endif()
foreach(pattern ${EXPECT_ERROR})
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "the compiler refused ${SOURCE} (with ${DEFINE}) but did not say '${pattern}':\n${out}")
  endif()
endforeach()
message(STATUS "refused as expected")
