/*
 * Hosts librdkafka's in-memory mock Kafka cluster for streamfold's tests.
 *
 * Usage: mock-cluster <brokers> [topic:partitions ...]
 * Prints "bootstraps <host:port,...>" once the cluster listens, then reads commands on stdin,
 * one per line, answering "ok" or "error <reason>" on stdout:
 *   create <topic> <partitions>   (the mock broker cannot serve the CreateTopics admin API)
 *   delete <topic>
 *   produce-errors <topic> <partition> <error code> <count>
 *                                 (the next <count> Produce requests for that partition fail
 *                                 with that partition-level error code)
 * Exits on stdin EOF, so a parent that dies (even by SIGKILL) takes the cluster with it.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#endif

static void reply(rd_kafka_resp_err_t err) {
        if (err) printf("error %s\n", rd_kafka_err2str(err));
        else printf("ok\n");
        fflush(stdout);
}

static rd_kafka_resp_err_t create_topic(rd_kafka_mock_cluster_t *mc, int brokers, const char *name, int parts) {
        if (parts < 1) return RD_KAFKA_RESP_ERR_INVALID_PARTITIONS;
        return rd_kafka_mock_topic_create(mc, name, parts, brokers < 3 ? brokers : 3);
}

int main(int argc, char **argv) {
#ifdef __linux__
        /* Belt and braces next to stdin EOF: die with the parent. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        int brokers = argc > 1 ? atoi(argv[1]) : 3;
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers < 1 ? 1 : brokers);
        if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); return 1; }
        /* Joins would otherwise wait 3 s for more members; the mock reports controller 0 (no such
         * broker), which breaks idempotent producers. */
        rd_kafka_mock_group_initial_rebalance_delay_ms(mc, 0);
        rd_kafka_mock_set_controller_id(mc, 1);

        for (int i = 2; i < argc; i++) {
                char *sep = strrchr(argv[i], ':');
                if (!sep) { fprintf(stderr, "bad topic spec %s\n", argv[i]); return 1; }
                *sep = '\0';
                rd_kafka_resp_err_t err = create_topic(mc, brokers, argv[i], atoi(sep + 1));
                if (err) { fprintf(stderr, "create %s: %s\n", argv[i], rd_kafka_err2str(err)); return 1; }
        }
        printf("bootstraps %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        char line[1024], name[512];
        int parts, code, count;
        while (fgets(line, sizeof(line), stdin)) {
                if (sscanf(line, "create %511s %d", name, &parts) == 2)
                        reply(create_topic(mc, brokers, name, parts));
                else if (sscanf(line, "delete %511s", name) == 1)
                        reply(rd_kafka_mock_topic_delete(mc, name));
                else if (sscanf(line, "produce-errors %511s %d %d %d", name, &parts, &code, &count) == 4) {
                        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
                        for (int i = 0; i < count && !err; i++)
                                err = rd_kafka_mock_partition_push_request_errors(mc, name, parts, 0 /* Produce */, 1, (rd_kafka_resp_err_t)code);
                        reply(err);
                }
                else if (sscanf(line, "request-errors %d %d %d", &parts, &code, &count) == 3) {
                        /* The next `count` requests of API key `parts` (any broker) fail with `code`. */
                        for (int i = 0; i < count; i++)
                                rd_kafka_mock_push_request_errors(mc, (int16_t)parts, 1, (rd_kafka_resp_err_t)code);
                        reply(RD_KAFKA_RESP_ERR_NO_ERROR);
                }
                else { printf("error unknown command\n"); fflush(stdout); }
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
