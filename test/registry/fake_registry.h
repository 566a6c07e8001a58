// An in-memory registry speaking the distribution API (one host,
// "reg.test", every repository), with or without the referrers API, and a
// two-platform image with referrers in a layout: shared by the registry
// unit tests of referrers (push, copy, pull).
#ifndef OCIB_TEST_REGISTRY_FAKE_REGISTRY_H_
#define OCIB_TEST_REGISTRY_FAKE_REGISTRY_H_

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/http.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/reference.h"
#include "ocib/referrers.h"
#include "ocib/registry.h"
#include "ocib/sbom.h"

namespace ocib::fake {

struct Request {
  std::string method;
  std::string path;  // without scheme, host and query
  std::string query;
};

// A registry in memory, for one host ("reg.test"), every repository.
class FakeRegistry : public HttpTransport {
 public:
  bool referrers_api = true;
  // The /referrers endpoint ignores artifactType and answers one
  // descriptor per page, linking to the next.
  bool page_and_ignore_filter = false;
  // When not 0, /referrers answers with this status (and an error body).
  int referrers_status = 0;
  // /referrers lists each referrer twice (a registry's duplicate rows).
  bool referrers_twice = false;
  // /tags/list: tags per page when the client asks for none (?n=); 0: all.
  int tags_page_size = 0;
  // DELETE of a manifest: 0 allowed; 405 answers 405 UNSUPPORTED (deletion
  // disabled). `tag_delete` false answers a tag with 400 DIGEST_INVALID, as
  // docker-registry 2.8 does.
  int delete_status = 0;
  bool tag_delete = false;
  // Manifest digests whose DELETE is refused (403 DENIED), the others
  // deleted.
  std::set<std::string> delete_denied;
  // Non-zero: every upload session (POST .../blobs/uploads/) is refused
  // with this status (DENIED).
  int upload_status = 0;
  // POST ?mount=&from= mounts a blob the other repository has (201); false:
  // every mount is answered with an upload session (202).
  bool mounts = false;

  struct Stored {
    std::string media_type;
    std::string bytes;
  };
  std::map<std::string, Stored> manifests;   // "repo@digest"
  std::map<std::string, std::string> tags;   // "repo:tag" -> digest
  std::map<std::string, std::string> blobs;  // "repo@digest"

  HttpResult RoundTrip(const HttpRequest& req) override {
    std::string body = req.body;
    if (req.body_source) {
      OCIB_ASSIGN_OR_RETURN(auto reader, req.body_source());
      char buf[4096];
      while (true) {
        OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof buf));
        if (n == 0) break;
        body.append(buf, n);
      }
    }
    std::string url = req.url.substr(req.url.find("://") + 3);
    url = url.substr(url.find('/'));
    Request r{req.method, url.substr(0, url.find('?')),
              url.find('?') == std::string::npos ? "" : url.substr(url.find('?') + 1)};
    std::string content_type;
    for (const HttpHeader& h : req.headers) {
      if (h.name == "Content-Type") content_type = h.value;
    }
    HttpResponse resp;
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(r);
      resp = Handle(r, content_type, body);
    }
    if (req.on_response_start) req.on_response_start(resp);
    if (req.sink != nullptr && resp.status >= 200 && resp.status < 300 && req.method == "GET") {
      OCIB_RETURN_IF_ERROR(req.sink->Write(resp.body.data(), resp.body.size()));
      resp.body.clear();
    }
    return resp;
  }

  std::vector<Request> log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  void ClearLog() {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
  }
  // Index in the log of the first request with this method and path; -1.
  int Find(const std::string& method, const std::string& path) {
    auto l = log();
    for (size_t i = 0; i < l.size(); ++i) {
      if (l[i].method == method && l[i].path == path) return static_cast<int>(i);
    }
    return -1;
  }

 private:
  static HttpResponse Reply(int status, std::vector<HttpHeader> headers = {},
                            std::string body = "") {
    HttpResponse r;
    r.status = status;
    for (auto& h : headers) {
      std::transform(h.name.begin(), h.name.end(), h.name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
  }

  // Splits "/v2/<repo>/<kind>/<rest>".
  static bool Split(const std::string& path, const std::string& kind, std::string* repo,
                    std::string* rest) {
    size_t at = path.rfind("/" + kind + "/");
    if (path.rfind("/v2/", 0) != 0 || at == std::string::npos || at < 4) return false;
    *repo = path.substr(4, at - 4);
    *rest = path.substr(at + kind.size() + 2);
    return true;
  }

  static std::string QueryParam(const std::string& query, const std::string& name) {
    size_t p = query.find(name + "=");
    if (p == std::string::npos) return "";
    std::string v = query.substr(p + name.size() + 1);
    v = v.substr(0, v.find('&'));
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%' && i + 2 < v.size()) {
        out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += v[i];
      }
    }
    return out;
  }

  std::string Resolve(const std::string& repo, const std::string& ref) {
    if (ref.rfind("sha256:", 0) == 0) return ref;
    auto it = tags.find(repo + ":" + ref);
    return it == tags.end() ? "" : it->second;
  }

  HttpResponse Handle(const Request& r, const std::string& content_type, const std::string& body) {
    std::string repo;
    std::string rest;
    if (r.path == "/v2/") return Reply(200);
    if (Split(r.path, "uploads", &repo, &rest) && repo.size() > 6 &&
        repo.substr(repo.size() - 6) == "/blobs") {
      repo = repo.substr(0, repo.size() - 6);
      std::string mount = QueryParam(r.query, "mount");
      auto from = blobs.find(QueryParam(r.query, "from") + "@" + mount);
      if (r.method == "POST" && mounts && !mount.empty() && from != blobs.end()) {
        blobs[repo + "@" + mount] = from->second;
        return Reply(201, {{"Docker-Content-Digest", mount}});
      }
      if (r.method == "POST" && upload_status != 0) {
        return Reply(upload_status, {}, R"({"errors":[{"code":"DENIED"}]})");
      }
      if (r.method == "POST") {
        return Reply(
            202, {{"Location", "/v2/" + repo + "/blobs/uploads/u" + std::to_string(++uploads_)}});
      }
      // Chunks (PATCH) collect under the upload's path; the PUT adds its
      // body (the last chunk, or all of a monolithic upload).
      if (r.method == "PATCH") {
        std::string& got = partial_[r.path];
        got += body;
        return Reply(202, {{"Location", r.path}, {"Range", "0-" + std::to_string(got.size() - 1)}});
      }
      if (r.method == "PUT") {
        std::string whole = partial_[r.path] + body;
        partial_.erase(r.path);
        std::string digest = QueryParam(r.query, "digest");
        if (Digest::Sha256Of(whole).ToString() != digest) return Reply(400);
        blobs[repo + "@" + digest] = whole;
        return Reply(201, {{"Docker-Content-Digest", digest}});
      }
      return Reply(405);
    }
    if (Split(r.path, "blobs", &repo, &rest)) {
      auto it = blobs.find(repo + "@" + rest);
      if (it == blobs.end()) return Reply(404);
      std::string len = std::to_string(it->second.size());
      return Reply(200, {{"Content-Length", len}}, r.method == "GET" ? it->second : "");
    }
    if (r.path.size() > 14 && r.path.substr(r.path.size() - 10) == "/tags/list") {
      return ListTags(r.path.substr(4, r.path.size() - 14), r.query);
    }
    if (Split(r.path, "manifests", &repo, &rest) && r.method == "DELETE") {
      return Delete(repo, rest);
    }
    if (Split(r.path, "manifests", &repo, &rest)) {
      if (r.method == "PUT") {
        std::string digest = Digest::Sha256Of(body).ToString();
        manifests[repo + "@" + digest] = {content_type, body};
        if (rest.rfind("sha256:", 0) != 0) tags[repo + ":" + rest] = digest;
        std::vector<HttpHeader> h{{"Docker-Content-Digest", digest}};
        nlohmann::json j = nlohmann::json::parse(body);
        if (referrers_api && j.contains("subject")) {
          h.push_back({"OCI-Subject", j["subject"]["digest"].get<std::string>()});
        }
        return Reply(201, h);
      }
      auto it = manifests.find(repo + "@" + Resolve(repo, rest));
      if (it == manifests.end()) return Reply(404);
      return Reply(200,
                   {{"Content-Type", it->second.media_type},
                    {"Docker-Content-Digest", Digest::Sha256Of(it->second.bytes).ToString()},
                    {"Content-Length", std::to_string(it->second.bytes.size())}},
                   r.method == "GET" ? it->second.bytes : "");
    }
    if (Split(r.path, "referrers", &repo, &rest)) {
      if (referrers_status != 0) {
        return Reply(referrers_status, {}, R"({"errors":[{"code":"DENIED"}]})");
      }
      if (!referrers_api) return Reply(404, {}, R"({"errors":[{"code":"NOT_FOUND"}]})");
      std::string want = page_and_ignore_filter ? "" : QueryParam(r.query, "artifactType");
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [key, m] : manifests) {
        if (key.rfind(repo + "@", 0) != 0) continue;
        nlohmann::json j = nlohmann::json::parse(m.bytes);
        if (!j.contains("subject") || j["subject"]["digest"] != rest) continue;
        nlohmann::json d = {{"mediaType", m.media_type},
                            {"digest", key.substr(repo.size() + 1)},
                            {"size", m.bytes.size()}};
        std::string at = j.value("artifactType", j["config"].value("mediaType", ""));
        if (!at.empty()) d["artifactType"] = at;
        if (j.contains("annotations")) d["annotations"] = j["annotations"];
        if (!want.empty() && at != want) continue;
        list.push_back(d);
        if (referrers_twice) list.push_back(d);
      }
      std::vector<HttpHeader> h{{"Content-Type", std::string(media_type::kImageIndex)}};
      if (!want.empty()) h.push_back({"OCI-Filters-Applied", "artifactType"});
      if (page_and_ignore_filter) {
        std::string p = QueryParam(r.query, "page");
        size_t page = p.empty() ? 0 : std::stoul(p);
        nlohmann::json one = nlohmann::json::array();
        if (page < list.size()) one.push_back(list[page]);
        if (page + 1 < list.size()) {
          h.push_back({"Link", "</v2/" + repo + "/referrers/" + rest +
                                   "?page=" + std::to_string(page + 1) + ">; rel=\"next\""});
        }
        list = one;
      }
      nlohmann::json index = {{"schemaVersion", 2},
                              {"mediaType", std::string(media_type::kImageIndex)},
                              {"manifests", list}};
      return Reply(200, h, index.dump());
    }
    return Reply(404);
  }

  // Tags of `repo` in sorted order, paged by ?n= and ?last= with a Link
  // header, as distribution does.
  HttpResponse ListTags(const std::string& repo, const std::string& query) {
    std::vector<std::string> all;
    for (const auto& [key, digest] : tags) {
      if (key.rfind(repo + ":", 0) == 0) all.push_back(key.substr(repo.size() + 1));
    }
    if (all.empty()) return Reply(404, {}, R"({"errors":[{"code":"NAME_UNKNOWN"}]})");
    std::string n = QueryParam(query, "n");
    size_t limit = n.empty() ? static_cast<size_t>(tags_page_size) : std::stoul(n);
    std::string last = QueryParam(query, "last");
    nlohmann::json list = nlohmann::json::array();
    std::vector<HttpHeader> h{{"Content-Type", "application/json"}};
    for (const std::string& t : all) {
      if (!last.empty() && t <= last) continue;
      if (limit != 0 && list.size() == limit) {
        h.push_back({"Link", "</v2/" + repo + "/tags/list?last=" + list.back().get<std::string>() +
                                 "&n=" + std::to_string(limit) + ">; rel=\"next\""});
        break;
      }
      list.push_back(t);
    }
    return Reply(200, h, nlohmann::json{{"name", repo}, {"tags", list}}.dump());
  }

  HttpResponse Delete(const std::string& repo, const std::string& ref) {
    if (delete_status != 0) {
      return Reply(delete_status, {}, R"({"errors":[{"code":"UNSUPPORTED"}]})");
    }
    if (delete_denied.contains(ref)) return Reply(403, {}, R"({"errors":[{"code":"DENIED"}]})");
    if (ref.rfind("sha256:", 0) != 0) {
      if (!tag_delete) return Reply(400, {}, R"({"errors":[{"code":"DIGEST_INVALID"}]})");
      if (tags.erase(repo + ":" + ref) == 0) return Reply(404);
      return Reply(202);
    }
    if (manifests.erase(repo + "@" + ref) == 0) {
      return Reply(404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})");
    }
    for (auto it = tags.begin(); it != tags.end();) {
      it =
          it->first.rfind(repo + ":", 0) == 0 && it->second == ref ? tags.erase(it) : std::next(it);
    }
    return Reply(202);
  }

  std::mutex mu_;
  std::vector<Request> log_;
  int uploads_ = 0;
  std::map<std::string, std::string> partial_;  // upload path -> chunks so far
};

inline RegistryOptions Options(std::shared_ptr<FakeRegistry> reg) {
  RegistryOptions o;
  o.transport = std::move(reg);
  o.keychain = MakeStaticKeychain({});
  o.sleep = [](std::chrono::milliseconds) {};
  o.jobs = 2;
  return o;
}

// A two-platform image in a layout, tagged v1, with an SPDX referrer on each
// platform manifest and a signature-like referrer on the index.
struct TestImage {
  Descriptor index;
  std::vector<Descriptor> manifests;
  std::vector<Descriptor> sboms;
  Descriptor index_referrer;
};

inline TestImage MakeImage(const std::string& dir) {
  TestImage img;
  auto layout = OciLayout::OpenOrCreate(dir);
  EXPECT_TRUE(layout.has_value());
  Index idx;
  idx.media_type = std::string(media_type::kImageIndex);
  for (const char* arch : {"amd64", "arm64"}) {
    // A valid image: the (uncompressed) layer's digest is its diff_id.
    auto l = (*layout)->Put(media_type::kLayerTar, std::string("layer for ") + arch);
    EXPECT_TRUE(l.has_value());
    std::string cfg = std::string(R"({"architecture":")") + arch +
                      R"(","os":"linux","rootfs":{"diff_ids":[")" + l->digest.ToString() +
                      R"("],"type":"layers"}})";
    auto c = (*layout)->Put(media_type::kImageConfig, cfg);
    EXPECT_TRUE(c.has_value());
    Manifest m;
    m.media_type = std::string(media_type::kImageManifest);
    m.config = *c;
    m.layers = {*l};
    auto md = (*layout)->Put(media_type::kImageManifest, m.Serialize());
    EXPECT_TRUE(md.has_value());
    md->platform = Platform{"linux", arch, "", "", {}};
    img.manifests.push_back(*md);
    idx.manifests.push_back(*md);
    auto sbom = AttachArtifact(**layout, *md, kSpdxJsonMediaType,
                               std::string(R"({"spdxVersion":"SPDX-2.3","name":")") + arch + "\"}",
                               {{"org.opencontainers.image.created", "1970-01-01T00:00:00Z"}});
    EXPECT_TRUE(sbom.has_value());
    EXPECT_TRUE(AddReferrerToLayout(**layout, *sbom).has_value());
    img.sboms.push_back(*sbom);
  }
  auto id = (*layout)->Put(media_type::kImageIndex, idx.Serialize());
  EXPECT_TRUE(id.has_value());
  img.index = *id;
  EXPECT_TRUE((*layout)->Tag(img.index, "v1").has_value());
  auto sig = AttachArtifact(**layout, img.index, "application/vnd.example.signature", "sig", {});
  EXPECT_TRUE(sig.has_value());
  EXPECT_TRUE(AddReferrerToLayout(**layout, *sig).has_value());
  img.index_referrer = *sig;
  return img;
}

inline std::vector<Reference> Dest(const std::string& text) {
  auto r = Reference::Parse(text);
  EXPECT_TRUE(r.has_value());
  return {*r};
}

}  // namespace ocib::fake

#endif  // OCIB_TEST_REGISTRY_FAKE_REGISTRY_H_
