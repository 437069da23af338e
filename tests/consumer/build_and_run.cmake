# cmake -DGPAC_BUILD=<build dir> -DWORK=<scratch dir> -DTORCH_PREFIX=<torch's cmake prefix>
#       -DGENERATOR=<generator> -P build_and_run.cmake
# Installs gPAC from its build dir into WORK/prefix, builds tests/consumer
# against it with find_package(gpac), and runs the program.
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${GPAC_BUILD}" --prefix "${WORK}/prefix" COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK}/build" -G "${GENERATOR}"
                        "-DCMAKE_PREFIX_PATH=${WORK}/prefix;${TORCH_PREFIX}" COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK}/build" COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${WORK}/build/gpac_consumer" COMMAND_ERROR_IS_FATAL ANY)
