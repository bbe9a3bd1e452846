# bytes_of(FILE VAR): FILE's bytes as a C++ initialiser list ("0x2f,0x2a,…"), for the scripts
# that build files into the programs.
function(bytes_of file var)
  file(READ "${file}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  set(${var} "${hex}" PARENT_SCOPE)
endfunction()
