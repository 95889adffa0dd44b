/* When does a window first paint? Polls the X display's root window every 10 ms and prints
 * two times in milliseconds since START_NS (the launcher's CLOCK_REALTIME when it started
 * the app):
 *   painted  — the first frame with at least 8 distinct colours (a window mapped and
 *              something drawn in it beyond a blank background),
 *   content  — the first frame with more than 200 distinct colours (anti-aliased text and
 *              pictures: the page's content is on screen).
 * Reading the root window costs a few milliseconds per poll, against ~150 ms of CPU for an
 * ImageMagick screenshot and colour count, so the probe hardly competes with the app it
 * measures on a 2-core machine. Built and used by scripts/bench-footprint.sh:
 *   cc -O2 -o paint-probe scripts/paint-probe.c -lX11
 *   paint-probe START_NS TIMEOUT_MS      (DISPLAY from the environment)
 * Prints "painted_ms content_ms" (-1 for a time not reached before the timeout). */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Distinct 24-bit colours in the image, counting no further than `limit`. */
static int distinct_colours(XImage *image, uint8_t *seen, int limit) {
  memset(seen, 0, 1 << 21);
  int count = 0;
  for (int y = 0; y < image->height; y++) {
    const uint32_t *row = (const uint32_t *)(image->data + (size_t)y * image->bytes_per_line);
    for (int x = 0; x < image->width; x++) {
      uint32_t c = row[x] & 0xffffff;
      if (!(seen[c >> 3] & (1 << (c & 7)))) {
        seen[c >> 3] |= (uint8_t)(1 << (c & 7));
        if (++count > limit) return count;
      }
    }
  }
  return count;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: paint-probe START_NS TIMEOUT_MS\n");
    return 2;
  }
  long long start = atoll(argv[1]);
  long long timeout_ms = atoll(argv[2]);
  Display *display = XOpenDisplay(NULL);
  if (!display) {
    fprintf(stderr, "paint-probe: cannot open the display (is DISPLAY set?)\n");
    return 2;
  }
  Window root = DefaultRootWindow(display);
  XWindowAttributes attributes;
  XGetWindowAttributes(display, root, &attributes);
  if (attributes.depth < 24) {
    fprintf(stderr, "paint-probe: needs a 24-bit display, found depth %d\n", attributes.depth);
    return 2;
  }
  uint8_t *seen = malloc(1 << 21);
  long long painted = -1, content = -1;
  struct timespec pause = {0, 10 * 1000000L};
  for (;;) {
    long long elapsed = (now_ns() - start) / 1000000LL;
    if (elapsed > timeout_ms) break;
    XImage *image = XGetImage(display, root, 0, 0, attributes.width, attributes.height, AllPlanes, ZPixmap);
    if (image) {
      int colours = distinct_colours(image, seen, 200);
      XDestroyImage(image);
      if (painted < 0 && colours >= 8) painted = elapsed;
      if (colours > 200) {
        content = elapsed;
        break;
      }
    }
    nanosleep(&pause, NULL);
  }
  printf("%lld %lld\n", painted, content);
  free(seen);
  XCloseDisplay(display);
  return 0;
}
