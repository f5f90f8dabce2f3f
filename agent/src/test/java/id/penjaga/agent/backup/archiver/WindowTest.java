package id.penjaga.agent.backup.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WindowTest {
  /** A walk that enters {@code w} (counting {@code entered} down once in), started and waiting there. */
  static Thread walkWaitingAt(Archiver.Window w, CountDownLatch entered) throws InterruptedException {
    Thread walk =
        new Thread(
            () -> {
              try {
                w.enter();
                entered.countDown();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    walk.start();
    while (walk.getState() != Thread.State.WAITING) { // the walk has met the full window
      Thread.sleep(1);
    }
    return walk;
  }

  @Test
  void aFullWindowLetsTheWalkOnOnlyWhenHalfIsDone() throws Exception {
    Archiver.Window w = new Archiver.Window(4);
    for (int i = 0; i < 4; i++) {
      w.enter(); // never waits below the bound
    }
    CountDownLatch entered = new CountDownLatch(1);
    Thread walk = walkWaitingAt(w, entered);
    w.leave(); // 3 out: more than half, the walk still waits
    assertThat(entered.await(300, TimeUnit.MILLISECONDS)).isFalse();
    w.leave(); // 2 out: half, the walk goes on
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    walk.join();
    assertThat(w.out()).isEqualTo(3);
    w.enter(); // below the bound again: no wait
    assertThat(w.out()).isEqualTo(4);
  }

  @Test
  void twoWalksWaitingAtAFullWindowBothGoOn() throws Exception {
    Archiver.Window w = new Archiver.Window(4);
    for (int i = 0; i < 4; i++) {
      w.enter();
    }
    CountDownLatch entered = new CountDownLatch(2);
    List<Thread> walks = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      walks.add(walkWaitingAt(w, entered));
    }
    w.leave();
    w.leave(); // half out: one walk goes on (3 out), the other waits again
    while (entered.getCount() == 2) {
      Thread.sleep(1);
    }
    assertThat(entered.await(300, TimeUnit.MILLISECONDS)).isFalse();
    w.leave(); // half out again: the second walk must be woken too
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    for (Thread walk : walks) {
      walk.join();
    }
    assertThat(w.out()).isEqualTo(3);
  }
}
