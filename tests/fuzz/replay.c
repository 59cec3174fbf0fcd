/* SPDX-License-Identifier: MIT */
/*
 * replay.c - runs a libFuzzer harness over files and directories given
 * as arguments (the seed corpus), without libFuzzer.  Used as a
 * regression test in every build, including the sanitizer build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (4 * 1024 * 1024)

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data;
	size_t n;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	data = malloc(REPLAY_MAX_INPUT);
	if (data == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(data, 1, REPLAY_MAX_INPUT, fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long files = 0;

	for (int i = 1; i < argc; i++) {
		struct stat sb;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &sb) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 1;
			files++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (run_file(path) < 0) {
				closedir(d);
				return 1;
			}
			files++;
		}
		closedir(d);
	}
	printf("replayed %lu inputs\n", files);
	/* An empty corpus is a defect: the test must be able to fail. */
	return files > 0 ? 0 : 1;
}
