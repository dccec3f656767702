package io.github.kafkasync.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Supplies the list of the registry's dynamically changeable settings, which a build
 * step of Apicurio's config-index extension would compute. That extension's deployment
 * module is not on Maven Central, so the list is empty: every setting keeps the value it
 * was started with, which is all the tests need.
 */
public class DynamicPropertiesProducer {
    @Produces
    @Singleton
    DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(List.of());
    }
}
