# Install rules for crous, included by the top-level CMakeLists.txt:
#   crous_install_component(<name> [DESCRIPTION <text>])
#       the static library crous_<name> (made by crous_add_library) as
#       crous::<name>, its public headers, a CMake export, a file finding its
#       dependencies and a pkg-config file crous-<name>.pc
#   crous_install_programs(<target>...)   executables, to bin/
#   crous_install_package()               crousConfig.cmake, its version file
#                                         and the Debian packages (CPack)
# What a component needs is read from its link interface, so the installed
# lists cannot drift from target_link_libraries(). crousConfig.cmake loads the
# components asked for and the ones they need, nothing else: a codec user
# finds no Boost and no spdlog.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CROUS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/crous)
set(CROUS_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
set(CROUS_CMAKE_TEMPLATES ${CMAKE_CURRENT_LIST_DIR})

# How a consumer of the installed package gets a third-party target that a
# crous library links: the line crousConfig.cmake runs to define it, what a
# pkg-config file says instead (modules for Requires, flags for Libs and,
# when the target is public, Cflags), and the Debian package libcrous-dev
# depends on for it. Sets <out>_find, <out>_requires, <out>_libs,
# <out>_cflags and <out>_debian in the caller. A library that links a target
# missing here fails at configure time: add its row.
function(crous_consumer_dependency target out)
  set(find "")
  set(requires "")
  set(libs "")
  set(cflags "")
  set(debian "")
  if(target STREQUAL "PkgConfig::LZ4")
    set(find "crous_find_pkg_config(LZ4 liblz4)")
    set(requires liblz4)
    set(debian "liblz4-dev, pkg-config")
  elseif(target STREQUAL "Boost::headers")
    set(find "find_dependency(Boost 1.74)")
    set(debian "libboost-dev (>= 1.74)")
    # Boost has no .pc file: its headers' folder, unless the compiler looks there anyway.
    get_target_property(boost_includes Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
    foreach(dir IN LISTS boost_includes)
      if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
        list(APPEND cflags "-I${dir}")
      endif()
    endforeach()
    # The public headers (client, server) are Asio coroutine APIs. Asio 1.18
    # turns co_await on by itself for g++ in C++20 but not for clang 14, and a
    # .pc file cannot ask which compiler reads it: always on (with g++ the
    # value Asio would choose; C++20 is required either way).
    list(APPEND cflags -DBOOST_ASIO_HAS_CO_AWAIT=1)
  elseif(target STREQUAL "Threads::Threads")
    set(find "find_dependency(Threads)")
    set(libs -pthread)
    set(cflags -pthread)
  elseif(target STREQUAL "OpenSSL::SSL")
    # openssl.pc: libssl and libcrypto (libssl.pc has libcrypto only in Requires.private).
    set(find "find_dependency(OpenSSL 3)")
    set(requires openssl)
    set(debian "libssl-dev (>= 3)")
  elseif(target STREQUAL "OpenSSL::Crypto")
    set(find "find_dependency(OpenSSL 3)")
    set(requires libcrypto)
    set(debian "libssl-dev (>= 3)")
  elseif(target STREQUAL "spdlog::spdlog")
    set(find "find_dependency(spdlog)")
    set(debian libspdlog-dev)
    set(requires spdlog)
  elseif(target STREQUAL "fmt::fmt")
    set(find "find_dependency(fmt)")
    set(debian libfmt-dev)
    set(requires fmt)
  elseif(target STREQUAL "prometheus-cpp::core")
    set(find "find_dependency(prometheus-cpp CONFIG)")
    set(debian prometheus-cpp-dev)
    set(requires prometheus-cpp-core)
  elseif(target STREQUAL "civetweb::civetweb")
    # Debian's civetweb has CMake files but no .pc file.
    set(find "find_dependency(civetweb CONFIG)")
    set(debian libcivetweb-dev)
    set(libs -lcivetweb)
  elseif(target STREQUAL "nlohmann_json::nlohmann_json")
    set(find "find_dependency(nlohmann_json 3)")
    set(debian nlohmann-json3-dev)
    set(requires nlohmann_json)
  else()
    message(FATAL_ERROR "crous_install_component: a crous library links ${target}, and "
      "cmake/CrousInstall.cmake does not say how an installed crous finds it: add it to crous_consumer_dependency()")
  endif()
  set(${out}_find "${find}" PARENT_SCOPE)
  set(${out}_requires "${requires}" PARENT_SCOPE)
  set(${out}_libs "${libs}" PARENT_SCOPE)
  set(${out}_cflags "${cflags}" PARENT_SCOPE)
  set(${out}_debian "${debian}" PARENT_SCOPE)
endfunction()

# crous::<name> for find_package(crous COMPONENTS <name>) and for pkg-config.
# Call it after the component's last target_link_libraries(), and after the
# components it links (whose lists it extends).
function(crous_install_component name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DESCRIPTION" "")
  set(target crous_${name})
  if(NOT TARGET ${target})
    message(FATAL_ERROR "crous_install_component(${name}): no target ${target} (make it with crous_add_library)")
  endif()
  if(NOT arg_DESCRIPTION)
    set(arg_DESCRIPTION "crous ${name} library")
  endif()

  # The link interface of a static library holds what consumers link:
  # PUBLIC items as they are, PRIVATE ones as $<LINK_ONLY:...>. Items in
  # $<BUILD_INTERFACE:...> (header-only helpers of the build) are not installed.
  get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT links)
    set(links "")
  endif()
  set(needs "")          # crous components, those they need first
  set(find_lines "")
  set(pc_requires "")
  set(pc_libs "")
  set(pc_cflags "")
  foreach(item IN LISTS links)
    set(public TRUE)
    if(item MATCHES "^\\$<LINK_ONLY:(.+)>$")
      set(item "${CMAKE_MATCH_1}")
      set(public FALSE)
    endif()
    if(item MATCHES "^\\$<BUILD_INTERFACE:")
      continue()
    endif()
    if(item MATCHES "^crous(::|_)(.+)$")
      set(component ${CMAKE_MATCH_2})
      get_property(component_needs GLOBAL PROPERTY CROUS_COMPONENT_${component}_NEEDS)
      if(NOT component_needs)
        message(FATAL_ERROR "crous_install_component(${name}): install crous::${component} first")
      endif()
      list(APPEND needs ${component_needs})
      list(APPEND pc_requires crous-${component})
    elseif(item MATCHES "^\\$<")
      message(FATAL_ERROR "crous_install_component(${name}): cannot install the link item ${item}")
    else()
      crous_consumer_dependency(${item} dependency)
      list(APPEND find_lines "${dependency_find}")
      list(APPEND pc_requires ${dependency_requires})
      list(APPEND pc_libs ${dependency_libs})
      if(dependency_debian)
        set_property(GLOBAL APPEND PROPERTY CROUS_DEBIAN_DEV_DEPENDS "${dependency_debian}")
      endif()
      if(public)
        list(APPEND pc_cflags ${dependency_cflags})
      endif()
    endif()
  endforeach()
  # First occurrences stay: each component still comes after those it needs.
  list(APPEND needs ${name})
  list(REMOVE_DUPLICATES needs)
  set_property(GLOBAL PROPERTY CROUS_COMPONENT_${name}_NEEDS ${needs})
  set_property(GLOBAL APPEND PROPERTY CROUS_COMPONENTS ${name})

  if(NOT CROUS_INSTALL)
    return()
  endif()
  set(out_dir ${PROJECT_BINARY_DIR}/crous-install)

  list(REMOVE_DUPLICATES find_lines)
  list(JOIN find_lines "\n" find_text)
  file(CONFIGURE OUTPUT ${out_dir}/crous-${name}-dependencies.cmake
    CONTENT "# What crous::${name} needs besides other crous components (written by\n# crous_install_component from its link interface; loaded by crousConfig.cmake).\n${find_text}\n"
    @ONLY)

  # pkg-config: the library is static, so everything it links goes in
  # Requires and Libs (not the .private fields): plain `pkg-config --libs` links.
  get_target_property(definitions ${target} INTERFACE_COMPILE_DEFINITIONS)
  if(definitions)
    foreach(definition IN LISTS definitions)
      if(NOT definition MATCHES "^\\$<")  # compiler-dependent ones need CMake
        list(APPEND pc_cflags "-D${definition}")
      endif()
    endforeach()
  endif()
  foreach(list_name pc_requires pc_libs pc_cflags)
    list(REMOVE_DUPLICATES ${list_name})
    list(JOIN ${list_name} " " ${list_name})
  endforeach()
  if(IS_ABSOLUTE "${CROUS_INSTALL_PKGCONFIGDIR}")
    set(pc_prefix "${CMAKE_INSTALL_PREFIX}")
  else()
    # Relative to the .pc file, so that an installed tree can move.
    file(RELATIVE_PATH up "/prefix/${CROUS_INSTALL_PKGCONFIGDIR}" "/prefix")
    string(REGEX REPLACE "/$" "" up "${up}")
    set(pc_prefix "\${pcfiledir}/${up}")
  endif()
  foreach(dir INCLUDEDIR LIBDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
      set(pc_${dir} "${CMAKE_INSTALL_${dir}}")
    else()
      set(pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
    endif()
  endforeach()
  set(pc_name crous-${name})
  set(pc_description "${arg_DESCRIPTION}")
  set(pc_library crous_${name})
  configure_file(${CROUS_CMAKE_TEMPLATES}/crous-component.pc.in ${out_dir}/crous-${name}.pc @ONLY)

  get_target_property(source_dir ${target} SOURCE_DIR)
  install(TARGETS ${target} EXPORT crous-${name}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
  install(DIRECTORY ${source_dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
  install(EXPORT crous-${name}-targets NAMESPACE crous:: DESTINATION ${CROUS_INSTALL_CMAKEDIR} COMPONENT dev)
  install(FILES ${out_dir}/crous-${name}-dependencies.cmake DESTINATION ${CROUS_INSTALL_CMAKEDIR} COMPONENT dev)
  install(FILES ${out_dir}/crous-${name}.pc DESTINATION ${CROUS_INSTALL_PKGCONFIGDIR} COMPONENT dev)
endfunction()

# Executables to bin/ (the crous-server Debian package).
function(crous_install_programs)
  if(CROUS_INSTALL)
    install(TARGETS ${ARGN} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT programs)
  endif()
endfunction()

# crousConfig.cmake with the table of the components registered so far, its
# version file, and the Debian packages. Called once, after every component.
function(crous_install_package)
  if(NOT CROUS_INSTALL)
    return()
  endif()
  set(out_dir ${PROJECT_BINARY_DIR}/crous-install)
  get_property(components GLOBAL PROPERTY CROUS_COMPONENTS)
  set(CROUS_COMPONENT_TABLE "")
  foreach(component IN LISTS components)
    get_property(needs GLOBAL PROPERTY CROUS_COMPONENT_${component}_NEEDS)
    list(JOIN needs " " needs)
    string(APPEND CROUS_COMPONENT_TABLE "set(_crous_${component}_needs ${needs})\n")
  endforeach()
  list(JOIN components " " CROUS_COMPONENTS)
  configure_package_config_file(${CROUS_CMAKE_TEMPLATES}/crousConfig.cmake.in ${out_dir}/crousConfig.cmake
    INSTALL_DESTINATION ${CROUS_INSTALL_CMAKEDIR})
  # 0.x: a minor version may break the API.
  write_basic_package_version_file(${out_dir}/crousConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${out_dir}/crousConfig.cmake ${out_dir}/crousConfigVersion.cmake
    DESTINATION ${CROUS_INSTALL_CMAKEDIR} COMPONENT dev)

  # `cpack -G DEB` in the build folder: crous-server (the programs; their
  # library dependencies found by dpkg-shlibdeps) and libcrous-dev
  # (libraries, headers, CMake and pkg-config files; it depends on the -dev
  # packages of what the components link, from crous_consumer_dependency).
  set(CPACK_PACKAGE_NAME crous)
  set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Crous serialization formats (FLUX, CROUT) and record server")
  set(CPACK_PACKAGE_CONTACT "crous maintainers <crous@localhost>")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_COMPONENTS_ALL programs dev)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
  set(CPACK_DEBIAN_PROGRAMS_PACKAGE_NAME crous-server)
  set(CPACK_COMPONENT_PROGRAMS_DESCRIPTION "crous record server, the crous tool and the crous-echo client")
  set(CPACK_DEBIAN_PROGRAMS_PACKAGE_SECTION net)
  set(CPACK_DEBIAN_PROGRAMS_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_DEV_PACKAGE_NAME libcrous-dev)
  list(JOIN components ", " libraries)
  set(CPACK_COMPONENT_DEV_DESCRIPTION "crous C++ libraries (static): ${libraries}")
  set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
  get_property(dev_depends GLOBAL PROPERTY CROUS_DEBIAN_DEV_DEPENDS)
  list(REMOVE_DUPLICATES dev_depends)
  list(JOIN dev_depends ", " CPACK_DEBIAN_DEV_PACKAGE_DEPENDS)
  include(CPack)
endfunction()
