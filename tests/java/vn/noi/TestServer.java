package vn.noi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real noi-server on 127.0.0.1 with port 0 in a temporary directory, its programs named by the
 * system properties noi.server and noi.admin (CTest passes them); devices are enrolled and
 * conflicts read with noi-admin, as an operator would.
 */
final class TestServer implements AutoCloseable {
    final Path dir;
    final String url;
    private final String adminToken;
    private final Process serve;

    TestServer() throws Exception {
        dir = Files.createTempDirectory("noi-java-");
        String data = dir.resolve("server").toString();
        List<String> init = run(program("noi.server"), "init", "--data", data);
        adminToken = init.get(init.size() - 1).trim();
        serve = new ProcessBuilder(program("noi.server"), "serve", "--data", data, "--listen",
                                   "127.0.0.1:0")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        BufferedReader err = new BufferedReader(
            new InputStreamReader(serve.getErrorStream(), StandardCharsets.UTF_8));
        String listening = null;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (listening == null && System.nanoTime() < until) {
            String line = err.readLine();
            if (line == null) break;
            int at = line.indexOf("listening on ");
            if (at >= 0) listening = line.substring(at + "listening on ".length()).trim();
        }
        if (listening == null) {
            serve.destroyForcibly();
            throw new IllegalStateException("noi-server did not say where it listens");
        }
        url = "http://" + listening;
        // The server logs each session on stderr: read on, so a full pipe never stops it.
        Thread drain = new Thread(() -> {
            try {
                while (err.readLine() != null) {
                }
            } catch (IOException e) {
                // The server ended.
            }
        });
        drain.setDaemon(true);
        drain.start();
    }

    /** A device of the commune; its token. */
    String enrol(String commune) throws Exception {
        return field(String.join("\n", admin("device", "add", "--commune", commune, "--json")),
                     "token");
    }

    /** noi-admin's --json answer to a command, as lines. */
    List<String> admin(String... command) throws Exception {
        List<String> argv = new ArrayList<>(Arrays.asList(program("noi.admin"), "--server", url,
                                                          "--token", adminToken));
        argv.addAll(Arrays.asList(command));
        return run(argv.toArray(new String[0]));
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
        return m.group(1);
    }

    @Override
    public void close() throws Exception {
        serve.destroy();
        if (!serve.waitFor(10, TimeUnit.SECONDS)) serve.destroyForcibly();
    }

    private static String program(String property) {
        String p = System.getProperty(property);
        if (p == null) throw new IllegalStateException("set -D" + property + "=PATH");
        return p;
    }

    private static List<String> run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
                 new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null;)
                lines.add(line);
        }
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IllegalStateException(String.join(" ", argv) + " failed: " + lines);
        return lines;
    }
}
