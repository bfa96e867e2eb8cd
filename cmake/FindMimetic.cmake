# Debian's libmimetic-dev ships no pkg-config or CMake files; find it by hand.
find_path(Mimetic_INCLUDE_DIR mimetic/mimetic.h)
find_library(Mimetic_LIBRARY mimetic)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Mimetic REQUIRED_VARS Mimetic_LIBRARY Mimetic_INCLUDE_DIR)
if(Mimetic_FOUND AND NOT TARGET Mimetic::mimetic)
    add_library(Mimetic::mimetic UNKNOWN IMPORTED GLOBAL)
    set_target_properties(Mimetic::mimetic PROPERTIES
        IMPORTED_LOCATION "${Mimetic_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${Mimetic_INCLUDE_DIR}")
endif()
