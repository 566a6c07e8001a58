// bench/zstd_mem.cc — peak RSS / time of libzstd streaming compression as ocib uses it:
// one ZSTD_CCtx per input file, all files compressed in parallel threads, level 3,
// fed 128 KiB at a time, with NB_WORKERS workers and JOB_SIZE (0 = zstd's default).
//
//   g++ -O2 -o /tmp/zstd_mem bench/zstd_mem.cc -lzstd -lpthread
//   /usr/bin/time -f '%e s %M KiB' /tmp/zstd_mem NB_WORKERS JOB_SIZE FILE...
//
// Used for the RSS finding in bench/README.md (default jobSize: 131 MiB for two 1 GiB
// inputs; jobSize 1 MiB: 26 MiB at the same speed).
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <zstd.h>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s NB_WORKERS JOB_SIZE FILE...\n", argv[0]);
    return 2;
  }
  const int workers = std::atoi(argv[1]);
  const int job = std::atoi(argv[2]);
  std::vector<std::thread> threads;
  for (int i = 3; i < argc; i++) {
    threads.emplace_back([=] {
      FILE* f = std::fopen(argv[i], "rb");
      if (f == nullptr) {
        std::perror(argv[i]);
        std::exit(1);
      }
      ZSTD_CCtx* c = ZSTD_createCCtx();
      ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
      ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
      ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, workers);
      if (job != 0) ZSTD_CCtx_setParameter(c, ZSTD_c_jobSize, job);
      std::vector<char> in(1 << 17), out(ZSTD_CStreamOutSize());
      size_t total = 0, n;
      while ((n = std::fread(in.data(), 1, in.size(), f)) > 0) {
        ZSTD_inBuffer ib{in.data(), n, 0};
        while (ib.pos < ib.size) {
          ZSTD_outBuffer ob{out.data(), out.size(), 0};
          size_t rc = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue);
          if (ZSTD_isError(rc)) std::exit(1);
          total += ob.pos;
        }
      }
      ZSTD_inBuffer end{nullptr, 0, 0};
      size_t left;
      do {
        ZSTD_outBuffer ob{out.data(), out.size(), 0};
        left = ZSTD_compressStream2(c, &ob, &end, ZSTD_e_end);
        if (ZSTD_isError(left)) std::exit(1);
        total += ob.pos;
      } while (left != 0);
      std::fprintf(stderr, "%s -> %zu bytes\n", argv[i], total);
      ZSTD_freeCCtx(c);
      std::fclose(f);
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}
