// A transport answering from a test's handler, recording every request; and
// a fake clock whose time moves only when the client sleeps.
#ifndef OCIB_TEST_UNIT_REGISTRY_SCRIPTED_TRANSPORT_H_
#define OCIB_TEST_UNIT_REGISTRY_SCRIPTED_TRANSPORT_H_

#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ocib/auth.h"
#include "ocib/http.h"
#include "ocib/registry.h"

namespace ocib::testing {

struct Seen {
  std::string method;
  std::string url;
  std::string body;
  std::vector<HttpHeader> headers;
  int64_t max_body_bytes = -1;
  std::string Header(const std::string& name) const {
    for (const auto& h : headers) {
      if (h.name == name) return h.value;
    }
    return "";
  }
};

inline HttpResponse Reply(int status, std::vector<HttpHeader> headers = {}, std::string body = "") {
  HttpResponse r;
  r.status = status;
  for (auto& h : headers) {
    for (char& c : h.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

class ScriptedTransport : public HttpTransport {
 public:
  using Handler = std::function<HttpResult(const Seen&)>;
  explicit ScriptedTransport(Handler h) : handler_(std::move(h)) {}

  HttpResult RoundTrip(const HttpRequest& req) override {
    Seen s{req.method, req.url, req.body, req.headers, req.max_body_bytes};
    if (req.body_source) {
      auto reader = req.body_source();
      if (!reader) return std::move(reader).error();
      char buf[4096];
      while (true) {
        auto n = (*reader)->Read(buf, sizeof buf);
        if (!n) return std::move(n).error();
        if (*n == 0) break;
        s.body.append(buf, *n);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(s);
    }
    HttpResult r = handler_(s);
    // As a transport does: the status and headers before the body.
    if (r && req.on_response_start) req.on_response_start(*r);
    if (r && req.sink != nullptr && r->status >= 200 && r->status < 300) {
      Status w = req.sink->Write(r->body.data(), r->body.size());
      if (!w) return std::move(w).error();
      r->body.clear();
    }
    return r;
  }

  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  Handler handler_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

// Time that passes only in the client's sleeps.
struct FakeClock {
  std::chrono::system_clock::time_point now =
      std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  std::vector<std::chrono::milliseconds> sleeps;
  std::chrono::milliseconds Slept() const {
    std::chrono::milliseconds total{0};
    for (auto d : sleeps) total += d;
    return total;
  }
};

inline RegistryOptions OptionsWith(std::shared_ptr<HttpTransport> t, FakeClock* clock,
                                   std::map<std::string, Credential> creds = {}) {
  RegistryOptions o;
  o.transport = std::move(t);
  o.keychain = MakeStaticKeychain(std::move(creds));
  o.sleep = [clock](std::chrono::milliseconds d) {
    clock->sleeps.push_back(d);
    clock->now += d;
  };
  o.now = [clock] { return clock->now; };
  return o;
}

}  // namespace ocib::testing

#endif  // OCIB_TEST_UNIT_REGISTRY_SCRIPTED_TRANSPORT_H_
