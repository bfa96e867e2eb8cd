# Warnings and hardening for every Sealpost target (applied through sealpost_harden()).
add_library(sealpost_flags INTERFACE)
target_compile_options(sealpost_flags INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wformat=2
    -fstack-protector-strong)
if(SEALPOST_WERROR)
    target_compile_options(sealpost_flags INTERFACE -Werror)
endif()
# _FORTIFY_SOURCE needs optimisation; sanitizer builds skip it (ASan replaces the checks).
if(NOT SEALPOST_SANITIZE)
    target_compile_definitions(sealpost_flags INTERFACE $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
endif()
target_link_options(sealpost_flags INTERFACE -Wl,-z,relro,-z,now)
if(SEALPOST_SANITIZE)
    target_compile_options(sealpost_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                    -fno-sanitize-recover=undefined)
    target_link_options(sealpost_flags INTERFACE -fsanitize=address,undefined)
endif()

function(sealpost_harden target)
    target_link_libraries(${target} PRIVATE sealpost_flags)
endfunction()
