// The source the tests' precompiled header is built with (test/CMakeLists.txt:
// ocib_test_pch); it holds nothing of its own.
